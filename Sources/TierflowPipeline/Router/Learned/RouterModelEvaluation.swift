import Foundation
import TierflowHTTP

/// Applies a model to labelled examples: probabilities, log loss, and the two-model metrics.
public enum RouterModelEvaluation {
    /// P(acceptable) of the heads named `heads` for every query, in order.
    public static func probabilities(
        model: RouterModel, featurizer: any QueryFeaturizer, queries: [RouterQuery], heads: [String]
    ) async throws -> [[Double]] {
        let columns = try self.columns(of: heads, in: model)
        let features = try await SuccessModelTrainer.featurize(queries, with: featurizer)
        return features.map { model.probabilities($0, columns: columns) }
    }

    /// The columns of `heads` in `model`; throws naming the first head the model lacks.
    public static func columns(of heads: [String], in model: RouterModel) throws -> [Int] {
        try heads.map { head in
            guard let column = model.heads.firstIndex(of: head) else {
                throw LearnedRouterError(.mismatch, "model \(model.name) has no head \"\(head)\" (it has: \(model.heads.joined(separator: ", ")))")
            }
            return column
        }
    }

    /// Mean binary cross-entropy over the labelled (example, head) pairs, and how many there were.
    public static func logLoss(probabilities: [[Double]], examples: [RoutingExample], heads: [String]) -> (loss: Double, pairs: Int) {
        var total = 0.0
        var pairs = 0
        for (row, example) in examples.enumerated() {
            for (column, head) in heads.enumerated() {
                guard let label = example.scores[head] else { continue }
                let p = min(max(probabilities[row][column], 1e-7), 1 - 1e-7)
                total -= label * log(p) + (1 - label) * log(1 - p)
                pairs += 1
            }
        }
        return (pairs > 0 ? total / Double(pairs) : .nan, pairs)
    }

    /// RouteLLM's metrics for the first (weak) and last (strong) of `heads` over the examples that have
    /// both labels; nil when fewer than two such examples.
    public static func twoModelMetrics(probabilities: [[Double]], examples: [RoutingExample], heads: [String]) -> TwoModelMetrics? {
        guard let weak = heads.first, let strong = heads.last, heads.count >= 2 else { return nil }
        var scores: [Double] = []
        var weakQuality: [Double] = []
        var strongQuality: [Double] = []
        for (row, example) in examples.enumerated() {
            guard let w = example.scores[weak], let s = example.scores[strong] else { continue }
            scores.append(RouterModel.strongPreference(probabilities[row]))
            weakQuality.append(w)
            strongQuality.append(s)
        }
        guard scores.count >= 2 else { return nil }
        return TwoModelMetrics(scores: scores, weak: weakQuality, strong: strongQuality)
    }

    /// Log loss and (for two or more heads) APGR of `model` on `examples`, named with `prefix`.
    public static func summary(
        model: RouterModel, featurizer: any QueryFeaturizer, examples: [RoutingExample], heads: [String], prefix: String
    ) async throws -> [String: Double] {
        guard !examples.isEmpty else { return [:] }
        let probabilities = try await self.probabilities(
            model: model, featurizer: featurizer, queries: examples.map(\.query), heads: heads)
        var metrics: [String: Double] = [:]
        let loss = logLoss(probabilities: probabilities, examples: examples, heads: heads)
        if loss.pairs > 0 { metrics["\(prefix).logloss"] = loss.loss }
        metrics["\(prefix).examples"] = Double(examples.count)
        if let two = twoModelMetrics(probabilities: probabilities, examples: examples, heads: heads) {
            metrics["\(prefix).apgr"] = two.apgr
        }
        return metrics
    }
}

extension RouterModel {
    /// The featuriser this model needs: in-process for hashed features, `httpClient` for an embeddings endpoint.
    public func makeFeaturizer(httpClient: HTTPClient?) throws -> any QueryFeaturizer {
        if featurizer.hashed != nil { return try localFeaturizer() }
        guard let options = featurizer.embedding, let httpClient else {
            throw LearnedRouterError(.mismatch, "model \(name) needs an embeddings endpoint (\(featurizer.kind) features)")
        }
        return OpenAIEmbeddingProvider(options: options, client: httpClient)
    }
}
