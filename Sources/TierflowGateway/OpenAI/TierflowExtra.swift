import TierflowPipeline

/// The `tierflow` object added to every completion (and to the last streamed chunk): who answered and at what cost.
public struct TierflowExtra: Codable, Sendable, Hashable {
    public var queryId: String
    /// 0 = knowledge base, n = tier n.
    public var layer: Int
    public var tier: String?
    /// The model that answered (`simulated/…` when the simulated backend did).
    public var model: String
    public var confidence: Double?
    public var lowConfidence: Bool
    public var escalations: Int
    public var costUSD: Double
    /// `accepted`, `layer0`, `top_tier`, `deadline` or `budget`.
    public var endedBy: String
    /// True when the simulated backend wrote the answer: not a real model's answer.
    public var simulated: Bool
    public var latencyMilliseconds: Double
    /// The routing policy (`model` of the request) and its quality target (nil: the configured default).
    public var policy: String
    public var qualityTarget: Double?

    enum CodingKeys: String, CodingKey {
        case queryId = "query_id", layer, tier, model, confidence, lowConfidence = "low_confidence", escalations
        case costUSD = "cost_usd", endedBy = "ended_by", simulated, latencyMilliseconds = "latency_ms", policy
        case qualityTarget = "quality_target"
    }

    /// The extra fields for `result`, answered under `policy`.
    public init(result: ResultMessage, policy: RoutingPolicy) {
        queryId = result.queryId
        layer = result.layer
        tier = result.tier
        model = Self.modelName(of: result)
        confidence = result.confidence
        lowConfidence = result.lowConfidence
        escalations = result.escalations
        costUSD = result.costUSD
        endedBy = result.endedBy
        simulated = result.simulated
        latencyMilliseconds = result.latencyMilliseconds
        self.policy = policy.name
        qualityTarget = policy.qualityTarget
    }

    /// The name of the model that really answered: the tier's model (prefixed `simulated/` when simulated),
    /// or `tierflow/knowledge-base` for Layer 0.
    public static func modelName(of result: ResultMessage) -> String {
        guard result.layer > 0 else { return "tierflow/knowledge-base" }
        let model = result.model ?? result.tier ?? "unknown"
        return result.simulated && !model.hasPrefix("simulated/") ? "simulated/" + model : model
    }
}
