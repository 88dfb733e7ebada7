import Foundation

/// A learned success model: for each of its heads (a model or a tier), P(answer acceptable | query)
/// as a logistic function of the query's features.
///
/// Training learns per-head weights and a shared low-rank representation jointly (see
/// ``SuccessModelTrainer``); both are linear in the features, so the file stores their sum, one
/// column per head, and scoring is one sparse pass over the features. ``models`` are the heads the
/// router routes between, cheapest first; other heads (kept for evaluation on other data) are ignored
/// by the live router.
public struct RouterModel: Sendable {
    /// The file format this build reads and writes.
    public static let formatVersion = 1

    public var name: String
    public var createdAt: Date
    /// How to featurise queries for this model.
    public var featurizer: FeaturizerSpec
    /// The routed models (or tiers), cheapest to strongest.
    public var models: [String]
    /// Every head the weights have a column for; ``models`` are among them.
    public var heads: [String]
    /// One intercept per head.
    public var bias: [Float]
    /// Feature-major weights: `featurizer.dimension` rows × `heads.count` columns.
    public var weights: PackedWeights
    /// How it was trained and what it measured; informational.
    public var training: RouterTrainingReport?
    /// Per-tier logit offsets set by `tierflow router calibrate`, by tier name.
    public var calibration: TierCalibration?

    public init(
        name: String, createdAt: Date = Date(), featurizer: FeaturizerSpec, models: [String], heads: [String],
        bias: [Float], weights: PackedWeights, training: RouterTrainingReport? = nil, calibration: TierCalibration? = nil
    ) throws {
        self.name = name
        self.createdAt = createdAt
        self.featurizer = featurizer
        self.models = models
        self.heads = heads
        self.bias = bias
        self.weights = weights
        self.training = training
        self.calibration = calibration
        if let problem { throw LearnedRouterError(.badModel, problem) }
    }

    /// Why this model is inconsistent, or nil.
    var problem: String? {
        if models.isEmpty { return "the model routes between no models" }
        if let missing = models.first(where: { !heads.contains($0) }) { return "model \"\(missing)\" has no head" }
        if Set(heads).count != heads.count { return "head names repeat" }
        if bias.count != heads.count || weights.columns != heads.count { return "one bias and one weight column per head" }
        if weights.rows != featurizer.dimension { return "\(weights.rows) weight rows for \(featurizer.dimension) features" }
        if let problem = featurizer.hashed?.problem { return problem }
        if let idf = featurizer.idf, idf.values.count != featurizer.dimension { return "\(idf.values.count) idf weights for \(featurizer.dimension) features" }
        return nil
    }

    /// The column of each routed model.
    public var modelColumns: [Int] { models.map { heads.firstIndex(of: $0)! } }

    /// The logit of every head for `features`.
    public func logits(_ features: FeatureVector) -> [Float] {
        let columns = weights.columns
        var logits = bias
        weights.values.withUnsafeBufferPointer { matrix in
            features.indices.withUnsafeBufferPointer { indices in
                features.values.withUnsafeBufferPointer { values in
                    logits.withUnsafeMutableBufferPointer { out in
                        for entry in 0..<indices.count {
                            let row = Int(indices[entry])
                            guard row >= 0, row < weights.rows else { continue }
                            let value = values[entry]
                            let base = row * columns
                            for column in 0..<columns { out[column] += value * matrix[base + column] }
                        }
                    }
                }
            }
        }
        return logits
    }

    /// P(acceptable) for each of ``models``, cheapest first.
    public func probabilities(_ features: FeatureVector) -> [Double] {
        probabilities(features, columns: modelColumns)
    }

    /// P(acceptable) for the heads at `columns`.
    public func probabilities(_ features: FeatureVector, columns: [Int]) -> [Double] {
        let logits = logits(features)
        return columns.map { Self.sigmoid(Double(logits[$0])) }
    }

    /// The preference for the strongest over the cheapest of `probabilities` (ordered cheapest first):
    /// P(strongest acceptable) − P(cheapest acceptable), in [−1, 1]; higher means more need for the strong one.
    public static func strongPreference(_ probabilities: [Double]) -> Double {
        guard let first = probabilities.first, let last = probabilities.last else { return 0 }
        return last - first
    }

    @inline(__always)
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    @inline(__always)
    static func logit(_ p: Double) -> Double {
        let clamped = min(max(p, 1e-9), 1 - 1e-9)
        return log(clamped / (1 - clamped))
    }
}
