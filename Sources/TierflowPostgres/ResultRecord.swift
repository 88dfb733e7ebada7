import Foundation

/// One row of `results`: the single final answer of a query.
public struct ResultRecord: Sendable, Hashable {
    public var queryId: String
    public var source: String
    /// 0 = knowledge base / cache, 1... = tier position + 1.
    public var layer: Int
    public var tier: String?
    public var model: String?
    public var answer: String
    public var confidence: Double?
    public var lowConfidence: Bool
    /// accepted | top_tier | deadline | budget | layer0
    public var endedBy: String
    public var escalations: Int
    public var costUSD: Double
    public var latencyMs: Double?
    public var simulated: Bool
    public var site: String?
    public var asset: String?
    /// The per-tier history, JSON text (`jsonb`).
    public var history: String?
    /// nil: the database's `now()`.
    public var finishedAt: Date?

    /// Creates a result row.
    public init(
        queryId: String, source: String, layer: Int, tier: String? = nil, model: String? = nil, answer: String,
        confidence: Double? = nil, lowConfidence: Bool = false, endedBy: String = "accepted", escalations: Int = 0,
        costUSD: Double = 0, latencyMs: Double? = nil, simulated: Bool = false, site: String? = nil,
        asset: String? = nil, history: String? = nil, finishedAt: Date? = nil
    ) {
        self.queryId = queryId
        self.source = source
        self.layer = layer
        self.tier = tier
        self.model = model
        self.answer = answer
        self.confidence = confidence
        self.lowConfidence = lowConfidence
        self.endedBy = endedBy
        self.escalations = escalations
        self.costUSD = costUSD
        self.latencyMs = latencyMs
        self.simulated = simulated
        self.site = site
        self.asset = asset
        self.history = history
        self.finishedAt = finishedAt
    }
}
