import Foundation
import TierflowCore

/// Trains a ``RouterModel``: one logistic head per model (or tier) over shared features, optionally with
/// a low-rank representation learned jointly across all heads — RouteLLM's matrix factorisation
/// generalised to N models, over local features, with other models in the data as auxiliary heads.
///
/// Full-batch L-BFGS on a fixed seed, single-threaded: the same data and options give the same model.
public struct SuccessModelTrainer: Sendable {
    /// A trained model and the split it was trained on.
    public struct Outcome: Sendable {
        public var model: RouterModel
        public var trained: [RoutingExample]
        public var heldBack: [RoutingExample]
        public var iterations: Int
    }

    public let options: TrainingOptions

    public init(options: TrainingOptions) throws {
        if let problem = options.problem { throw LearnedRouterError(.badTraining, problem) }
        self.options = options
    }

    /// Whether `example` is held back: a stable hash of its dataset and id, independent of the seed, so
    /// successive trainings hold back the same examples.
    public static func isHeldBack(_ example: RoutingExample, fraction: Double) -> Bool {
        fraction > 0 && unitHash(example, salt: 0) < fraction
    }

    /// The cross-validation fold (0..<folds) of `example`, from a stable hash of its dataset and id.
    public static func fold(of example: RoutingExample, folds: Int) -> Int {
        min(folds - 1, Int(unitHash(example, salt: 1) * Double(folds)))
    }

    /// A uniform value in [0, 1) from the example's dataset and id.
    static func unitHash(_ example: RoutingExample, salt: UInt8) -> Double {
        var hash = FeatureHash.step(FeatureHash.bytes(example.dataset), 0x1F)
        for byte in example.id.utf8 { hash = FeatureHash.step(hash, byte) }
        hash = FeatureHash.step(hash, salt)
        return Double(FeatureHash.mix(hash, .structure) >> 11) / Double(1 << 53)
    }

    /// Trains on `examples` to route between `models` (cheapest first), with the options' hashed features.
    public func train(
        examples: [RoutingExample], models: [String], name: String, dataNames: [String],
        progress: @Sendable (Int, Double) -> Void = { _, _ in }
    ) async throws -> Outcome {
        try await train(
            examples: examples, models: models, featurizer: HashedFeaturizer(options: options.featurizer), name: name,
            dataNames: dataNames, progress: progress)
    }

    /// Trains with any featuriser (an embedding provider is asked in batches).
    public func train(
        examples: [RoutingExample], models: [String], featurizer: any QueryFeaturizer, name: String,
        dataNames: [String], progress: @Sendable (Int, Double) -> Void = { _, _ in }
    ) async throws -> Outcome {
        guard !models.isEmpty, Set(models).count == models.count else {
            throw LearnedRouterError(.badTraining, "name at least one model, each once")
        }
        let present = Set(examples.flatMap { $0.scores.keys })
        if let missing = models.first(where: { !present.contains($0) }) {
            throw LearnedRouterError(
                .badTraining, "no example has a score for \"\(missing)\" (the data has: \(present.sorted().prefix(40).joined(separator: ", ")))")
        }
        var trained: [RoutingExample] = []
        var heldBack: [RoutingExample] = []
        for example in examples {
            if Self.isHeldBack(example, fraction: options.heldBackFraction) { heldBack.append(example) } else { trained.append(example) }
        }
        guard !trained.isEmpty else { throw LearnedRouterError(.badTraining, "no examples to train on") }

        let shared = options.rank > 0
        let kept = options.keepHeads.filter { present.contains($0) && !models.contains($0) }
        let auxiliary = shared && options.auxiliaryWeight > 0 ? present.subtracting(models).subtracting(kept).sorted() : []
        var categories: [String] = []
        if shared && options.categoryWeight > 0 {
            categories = Set(trained.compactMap { example in example.category.map { Self.categoryHead(example.dataset, $0) } }).sorted()
            for index in trained.indices {
                guard let category = trained[index].category else { continue }
                let own = Self.categoryHead(trained[index].dataset, category)
                for head in categories where head.hasPrefix("category:\(trained[index].dataset)/") {
                    trained[index].scores[head] = head == own ? 1 : 0
                }
            }
        }
        let heads = models + kept + auxiliary + categories
        let headWeight = (models + kept).map { _ in Float(1) } + auxiliary.map { _ in Float(options.auxiliaryWeight) }
            + categories.map { _ in Float(options.categoryWeight) }
        var featurizer = featurizer
        var features = try await Self.featurize(trained.map(\.query), with: featurizer)
        if let hashed = featurizer as? HashedFeaturizer, hashed.options.idf {
            let idf = IDFTable(dimension: hashed.dimension, documents: features.map(\.indices))
            featurizer = HashedFeaturizer(options: hashed.options, idf: idf)
            features = try await Self.featurize(trained.map(\.query), with: featurizer)
        }
        let matrix = TrainingMatrix(
            examples: trained, features: features, heads: heads, headWeight: headWeight, dimension: featurizer.dimension)
        let objective = SuccessObjective(
            matrix: matrix, ownHeads: models.count + kept.count, rank: options.rank, l2: Float(options.l2), sharedL2: Float(options.sharedL2))
        var theta = initialParameters(objective)
        let outcome = LBFGSMinimizer().minimize(
            &theta, iterations: options.iterations, objective: objective.evaluate, progress: progress)

        let model = try exportModel(
            theta, objective: objective, heads: heads, kept: models + kept, models: models, featurizer: featurizer, name: name,
            report: RouterTrainingReport(
                options: options, data: dataNames, trainExamples: trained.count, heldBackExamples: heldBack.count,
                metrics: ["train.objective": outcome.loss, "train.iterations": Double(outcome.iterations)]))
        for index in trained.indices { trained[index].scores = trained[index].scores.filter { !$0.key.hasPrefix("category:") } }
        return Outcome(model: model, trained: trained, heldBack: heldBack, iterations: outcome.iterations)
    }

    /// The auxiliary head that predicts membership of `category` in `dataset`.
    static func categoryHead(_ dataset: String, _ category: String) -> String { "category:\(dataset)/\(category)" }

    /// Feature vectors for `queries`, in batches of 256 for remote providers.
    static func featurize(_ queries: [RouterQuery], with featurizer: any QueryFeaturizer) async throws -> [FeatureVector] {
        if let local = featurizer as? any LocalQueryFeaturizer { return queries.map { local.features(of: $0) } }
        var vectors: [FeatureVector] = []
        vectors.reserveCapacity(queries.count)
        for start in stride(from: 0, to: queries.count, by: 256) {
            vectors += try await featurizer.features(of: Array(queries[start..<min(queries.count, start + 256)]))
        }
        return vectors
    }

    /// Intercepts at each head's base rate, zero weights, a small seeded random shared representation.
    func initialParameters(_ objective: SuccessObjective) -> [Float] {
        var theta = [Float](repeating: 0, count: objective.parameterCount)
        for (head, mean) in objective.matrix.meanLabels.enumerated() {
            theta[head] = Float(RouterModel.logit(min(max(mean, 0.01), 0.99)))
        }
        var random = SeededRandom(seed: options.seed)
        for index in objective.sharedOffset..<objective.loadingOffset { theta[index] = Float(random.gaussian(deviation: 0.01)) }
        for index in objective.loadingOffset..<objective.parameterCount { theta[index] = Float(random.gaussian(deviation: 0.1)) }
        return theta
    }

    /// Folds the shared representation into each kept head's weights (`W + V·Eᵀ`) and packs them.
    func exportModel(
        _ theta: [Float], objective: SuccessObjective, heads: [String], kept: [String], models: [String],
        featurizer: any QueryFeaturizer, name: String, report: RouterTrainingReport
    ) throws -> RouterModel {
        let (O, r, D) = (objective.ownHeads, objective.rank, objective.dimension)
        let columns = kept.map { heads.firstIndex(of: $0)! }
        var values = [Float](repeating: 0, count: D * columns.count)
        for f in 0..<D {
            for (out, h) in columns.enumerated() {
                var w = h < O ? theta[objective.weightOffset + f * O + h] : 0
                for k in 0..<r { w += theta[objective.sharedOffset + f * r + k] * theta[objective.loadingOffset + h * r + k] }
                values[f * columns.count + out] = w
            }
        }
        let created = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        return try RouterModel(
            name: name, createdAt: created, featurizer: featurizer.spec, models: models, heads: kept,
            bias: columns.map { theta[$0] },
            weights: PackedWeights(rows: D, columns: columns.count, values: values, encoding: options.encoding),
            training: report)
    }
}
