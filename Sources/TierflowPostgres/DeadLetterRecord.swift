import Foundation

/// One row of `dead_letters`: a message parked on the dead-letter exchange, with the reason.
public struct DeadLetterRecord: Sendable, Hashable {
    public var messageId: String
    public var queryId: String?
    /// The queue the message came from.
    public var queue: String
    public var reason: String
    /// The message body as received (may be invalid UTF-8 or contain NUL: it is `bytea`).
    public var body: [UInt8]?
    /// The message headers, JSON text (`jsonb`).
    public var headers: String?
    /// nil: the database's `now()`.
    public var createdAt: Date?

    /// Creates a dead-letter row.
    public init(
        messageId: String, queryId: String? = nil, queue: String, reason: String, body: [UInt8]? = nil,
        headers: String? = nil, createdAt: Date? = nil
    ) {
        self.messageId = messageId
        self.queryId = queryId
        self.queue = queue
        self.reason = reason
        self.body = body
        self.headers = headers
        self.createdAt = createdAt
    }
}
