/// A hop as stored, returned by ``HopLogWriter/existingHop(queryId:stage:tier:attempt:)`` so a redelivered
/// message can be answered from the record instead of redoing the work.
public struct StoredHop: Sendable, Hashable {
    /// The stored row. JSON columns come back as PostgreSQL prints `jsonb` (keys reordered, spacing
    /// normalised): equal as JSON, not byte for byte.
    public var record: HopRecord

    /// The hop's decision.
    public var decision: String { record.decision }
    /// The message the hop published, JSON text.
    public var output: String? { record.output }

    /// Creates a stored hop.
    public init(record: HopRecord) { self.record = record }
}
