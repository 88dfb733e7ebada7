import Foundation

/// The AMQP basic properties of a message. Messages are persistent unless told otherwise.
public struct AMQPMessageProperties: Sendable, Hashable {
    /// Whether the broker writes the message to disk.
    public enum DeliveryMode: UInt8, Sendable, Hashable {
        case transient = 1
        case persistent = 2
    }

    public var contentType: String?
    public var contentEncoding: String?
    public var deliveryMode: DeliveryMode
    /// A stable id consumers use to de-duplicate (publishers republish after reconnects).
    public var messageID: String?
    public var correlationID: String?
    /// The queue a reply should go to (request/reply).
    public var replyTo: String?
    /// Whole seconds; finer parts are dropped on the wire.
    public var timestamp: Date?
    public var priority: UInt8?
    /// Per-message TTL; sent as whole milliseconds.
    public var expiration: Duration?
    public var type: String?
    /// Must equal the connection's user name when set (the broker checks it).
    public var userID: String?
    public var appID: String?
    public var headers: [String: AMQPHeaderValue]

    public init(
        contentType: String? = nil, contentEncoding: String? = nil, deliveryMode: DeliveryMode = .persistent,
        messageID: String? = nil, correlationID: String? = nil, replyTo: String? = nil, timestamp: Date? = nil,
        priority: UInt8? = nil, expiration: Duration? = nil, type: String? = nil, userID: String? = nil,
        appID: String? = nil, headers: [String: AMQPHeaderValue] = [:]
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.deliveryMode = deliveryMode
        self.messageID = messageID
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.timestamp = timestamp
        self.priority = priority
        self.expiration = expiration
        self.type = type
        self.userID = userID
        self.appID = appID
        self.headers = headers
    }

    /// How often a quorum queue has delivered this message before (`x-delivery-count`), if it said.
    public var deliveryCount: Int64? { headers["x-delivery-count"]?.intValue }
}
