import TierflowHTTP

/// Compares two models on held-back examples: mean log loss over the labelled (example, head) pairs
/// of the routed heads both models have. Lower is better.
public struct RouterModelComparison: Sendable, Hashable {
    /// The heads compared.
    public var heads: [String]
    /// Labelled (example, head) pairs compared.
    public var pairs: Int
    public var candidateLoss: Double
    public var incumbentLoss: Double

    /// Whether the candidate is at least as good as the incumbent.
    public var candidateIsNoWorse: Bool { candidateLoss <= incumbentLoss }

    /// The comparison, or nil when the models share no head with labels in `examples`.
    public static func compare(
        candidate: RouterModel, incumbent: RouterModel, on examples: [RoutingExample], httpClient: HTTPClient? = nil
    ) async throws -> RouterModelComparison? {
        let labelled = Set(examples.flatMap { $0.scores.keys })
        let heads = candidate.models.filter { incumbent.heads.contains($0) && labelled.contains($0) }
        guard !heads.isEmpty else { return nil }
        let queries = examples.map(\.query)
        let candidateProbabilities = try await RouterModelEvaluation.probabilities(
            model: candidate, featurizer: try candidate.makeFeaturizer(httpClient: httpClient), queries: queries, heads: heads)
        let incumbentProbabilities = try await RouterModelEvaluation.probabilities(
            model: incumbent, featurizer: try incumbent.makeFeaturizer(httpClient: httpClient), queries: queries, heads: heads)
        let candidateLoss = RouterModelEvaluation.logLoss(probabilities: candidateProbabilities, examples: examples, heads: heads)
        let incumbentLoss = RouterModelEvaluation.logLoss(probabilities: incumbentProbabilities, examples: examples, heads: heads)
        guard candidateLoss.pairs > 0 else { return nil }
        return RouterModelComparison(
            heads: heads, pairs: candidateLoss.pairs, candidateLoss: candidateLoss.loss, incumbentLoss: incumbentLoss.loss)
    }
}
