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
