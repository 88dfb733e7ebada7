/// What one hop commits, atomically: its `hops` row and, optionally, the query, the final result and a
/// dead letter. Every row is inserted with `ON CONFLICT DO NOTHING`, so replaying a unit changes nothing.
public struct HopWrite: Sendable, Hashable {
    public var hop: HopRecord
    public var query: QueryRecord?
    public var result: ResultRecord?
    public var deadLetter: DeadLetterRecord?

    /// Creates a unit of work for ``HopLogWriter``.
    public init(hop: HopRecord, query: QueryRecord? = nil, result: ResultRecord? = nil, deadLetter: DeadLetterRecord? = nil) {
        self.hop = hop
        self.query = query
        self.result = result
        self.deadLetter = deadLetter
    }
}

/// What committing a ``HopWrite`` did to each of its rows.
public struct HopWriteOutcome: Sendable, Hashable {
    /// Whether a row was inserted now or a row with its key already existed (then nothing was changed).
    public enum Insertion: Sendable, Hashable {
        case inserted
        case duplicate
    }

    /// The hop row: `.duplicate` means this hop was already recorded (a redelivery).
    public var hop: Insertion
    /// The query row, if the unit had one.
    public var query: Insertion?
    /// The result row, if the unit had one: `.duplicate` means the query already had a final result.
    public var result: Insertion?
    /// The dead-letter row, if the unit had one.
    public var deadLetter: Insertion?

    /// Creates an outcome.
    public init(hop: Insertion, query: Insertion? = nil, result: Insertion? = nil, deadLetter: Insertion? = nil) {
        self.hop = hop
        self.query = query
        self.result = result
        self.deadLetter = deadLetter
    }
}

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
