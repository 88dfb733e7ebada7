import Foundation

/// One row of `queries`: a query that entered the pipeline.
public struct QueryRecord: Sendable, Hashable {
    public var id: String
    /// scada | chat | batch
    public var source: String
    /// The publisher's id (unique per source when present).
    public var eventId: String?
    /// For an alarm-flood duplicate: the query that answers it.
    public var coalescedInto: String?
    public var receivedAt: Date
    public var deadline: Date?
    public var priority: String
    public var site: String?
    public var asset: String?
    /// The query as received, JSON text (`jsonb`).
    public var payload: String
    /// nil: the database's `now()`.
    public var createdAt: Date?

    /// Creates a query row.
    public init(
        id: String, source: String, eventId: String? = nil, coalescedInto: String? = nil, receivedAt: Date,
        deadline: Date? = nil, priority: String = "live", site: String? = nil, asset: String? = nil,
        payload: String, createdAt: Date? = nil
    ) {
        self.id = id
        self.source = source
        self.eventId = eventId
        self.coalescedInto = coalescedInto
        self.receivedAt = receivedAt
        self.deadline = deadline
        self.priority = priority
        self.site = site
        self.asset = asset
        self.payload = payload
        self.createdAt = createdAt
    }
}
