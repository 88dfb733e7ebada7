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
