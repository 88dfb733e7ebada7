import TierflowCore

/// One usable input line of a batch: the fault event to diagnose and what the line said before.
public struct BatchRecord: Sendable, Hashable {
    /// The physical line the record starts on.
    public var line: Int
    public var event: FaultEvent
    /// The line's own id (event id, work-order id), when it has one.
    public var sourceId: String?
    /// The diagnosis the line carried, when the export has one.
    public var previous: String?

    public init(line: Int, event: FaultEvent, sourceId: String? = nil, previous: String? = nil) {
        self.line = line
        self.event = event
        self.sourceId = sourceId
        self.previous = previous
    }
}

/// A record read from the file, or why its line was skipped; `endOffset` is where the next one starts.
public struct BatchItem: Sendable, Hashable {
    public var line: Int
    /// Byte offset just after the record (resume point once it is committed).
    public var endOffset: Int64
    /// The line number the next record starts on.
    public var nextLine: Int
    public var record: Result<BatchRecord, BatchInputError>
}
