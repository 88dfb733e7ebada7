/// Settings of ``SuccessModelTrainer``; stored with every model it makes.
public struct TrainingOptions: Codable, Sendable, Hashable {
    /// The features.
    public var featurizer: HashedFeaturizer.Options
    /// L2 penalty on each head's own weights (on the mean loss per example).
    public var l2: Double
    /// Size of the representation shared by all heads (0: per-head weights only).
    public var rank: Int
    /// L2 penalty on the shared representation and the heads' loadings on it.
    public var sharedL2: Double
    /// Loss weight of heads that are not routed (other models in the data), which only shape the shared
    /// representation; 0 leaves them out.
    public var auxiliaryWeight: Double
    /// Loss weight of auxiliary heads that predict each example's dataset category (needs rank > 0), so
    /// the shared representation learns the topic; 0 leaves them out.
    public var categoryWeight: Double
    /// Most L-BFGS iterations.
    public var iterations: Int
    /// Seeds the shared representation's initial values; training is deterministic for a seed.
    public var seed: UInt64
    /// Share of examples held back (by a stable hash of dataset and id) for the activation check.
    public var heldBackFraction: Double
    /// How the weights are stored.
    public var encoding: PackedWeights.Encoding
    /// Further heads trained with their own weights and kept in the file besides the routed models (to
    /// evaluate one model on several datasets, e.g. RouteLLM's pair beside the three tiers).
    public var keepHeads: [String]

    public init(
        featurizer: HashedFeaturizer.Options = HashedFeaturizer.Options(), l2: Double = 2e-4, rank: Int = 0,
        sharedL2: Double = 3e-5, auxiliaryWeight: Double = 0, categoryWeight: Double = 0, iterations: Int = 150, seed: UInt64 = 1,
        heldBackFraction: Double = 0.1, encoding: PackedWeights.Encoding = .float32, keepHeads: [String] = []
    ) {
        self.featurizer = featurizer
        self.l2 = l2
        self.rank = rank
        self.sharedL2 = sharedL2
        self.auxiliaryWeight = auxiliaryWeight
        self.categoryWeight = categoryWeight
        self.iterations = iterations
        self.seed = seed
        self.heldBackFraction = heldBackFraction
        self.encoding = encoding
        self.keepHeads = keepHeads
    }

    enum CodingKeys: String, CodingKey {
        case featurizer, l2, rank, sharedL2 = "shared_l2", auxiliaryWeight = "auxiliary_weight", categoryWeight = "category_weight", iterations, seed
        case heldBackFraction = "held_back_fraction", encoding, keepHeads = "keep_heads"
    }

    /// Why these options cannot work, or nil.
    public var problem: String? {
        if let problem = featurizer.problem { return problem }
        if !(l2 >= 0 && sharedL2 >= 0 && l2.isFinite && sharedL2.isFinite) { return "l2 penalties must be finite and not negative" }
        if !(0...64).contains(rank) { return "rank must be in 0...64" }
        if !(auxiliaryWeight >= 0 && auxiliaryWeight.isFinite && categoryWeight >= 0 && categoryWeight.isFinite) {
            return "auxiliary weights must be finite and not negative"
        }
        if !(1...10_000).contains(iterations) { return "iterations must be in 1...10000" }
        if !(0..<1).contains(heldBackFraction) { return "the held-back fraction must be in [0, 1)" }
        return nil
    }
}
