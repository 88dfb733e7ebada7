import Foundation

/// A query in flight: what every queue between the pipeline's stages carries.
///
/// The JSON form is versioned by `schema` (currently 1) and documented in `docs/envelope.md`.
/// Decode it with ``EnvelopeCodec``, which rejects bad input with a reason.
public struct QueryEnvelope: Codable, Sendable, Hashable {
    /// The schema version this build reads and writes.
    public static let schemaVersion = 1

    /// How the query arrived.
    public enum Source: String, Codable, Sendable, Hashable, CaseIterable {
        case scada, chat, batch
    }

    /// Live queries never wait behind batch work.
    public enum Priority: String, Codable, Sendable, Hashable {
        case live, batch
    }

    public var schema: Int
    /// Unique query id; deterministic for events that carry their own id.
    public var id: String
    public var source: Source
    public var receivedAt: Date
    /// After this the chain ends with the best answer so far.
    public var deadline: Date?
    public var priority: Priority
    public var payload: QueryPayload
    /// The tier the next worker should call (set by the router and by escalation).
    public var tier: String?
    /// Tier attempts so far, including the one awaiting evaluation (last).
    public var history: [TierAttempt]
    /// Number of tier attempts made so far.
    public var attempt: Int
    public var route: RoutePlan?
    /// Spend cap for this query; the configured default applies when nil.
    public var maxCostUSD: Double?
    /// The quality target the router uses for this query (a routing policy); `router.quality_target` when nil.
    public var qualityTarget: Double?
    public var reply: ReplyAddress?
    public var batchId: String?
    /// Further event ids answered by this query (an alarm flood coalesced into one diagnosis).
    public var linkedEvents: [String]?

    public init(
        id: String, source: Source, receivedAt: Date, deadline: Date? = nil, priority: Priority = .live,
        payload: QueryPayload, tier: String? = nil, history: [TierAttempt] = [], attempt: Int = 0,
        route: RoutePlan? = nil, maxCostUSD: Double? = nil, qualityTarget: Double? = nil, reply: ReplyAddress? = nil,
        batchId: String? = nil, linkedEvents: [String]? = nil
    ) {
        self.schema = Self.schemaVersion
        self.id = id
        self.source = source
        self.receivedAt = receivedAt
        self.deadline = deadline
        self.priority = priority
        self.payload = payload
        self.tier = tier
        self.history = history
        self.attempt = attempt
        self.route = route
        self.maxCostUSD = maxCostUSD
        self.qualityTarget = qualityTarget
        self.reply = reply
        self.batchId = batchId
        self.linkedEvents = linkedEvents
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, source, receivedAt = "received_at", deadline, priority, payload, tier, history, attempt
        case route, maxCostUSD = "max_cost_usd", qualityTarget = "quality_target", reply, batchId = "batch_id", linkedEvents = "linked_events"
    }

    /// Money spent on this query so far.
    public var costSoFar: Double { history.reduce(0) { $0 + $1.costUSD } }

    /// The event id of a SCADA query.
    public var eventId: String? { payload.faultEvent?.eventId }
}
