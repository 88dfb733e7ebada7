/// A failure talking to the broker, with a code to branch on, a message for people and some context.
///
/// Messages and context never contain passwords: endpoints appear in their redacted form.
public struct AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL
            case connectionFailed
            case authenticationFailed
            case accessRefused
            case notFound
            case preconditionFailed
            case channelClosed
            case connectionClosed
            case staleDelivery
            case alreadySettled
            case foreignDelivery
            case closed
            case protocolError
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The endpoint URL could not be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// No connection could be opened (refused, unreachable, timed out, handshake failed).
        public static let connectionFailed = Code(.connectionFailed)
        /// The broker refused the user name or password.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The broker refused access to a virtual host or resource (AMQP 403).
        public static let accessRefused = Code(.accessRefused)
        /// A queue or exchange does not exist (AMQP 404).
        public static let notFound = Code(.notFound)
        /// A declaration conflicts with what exists, or a protocol precondition failed (AMQP 406).
        public static let preconditionFailed = Code(.preconditionFailed)
        /// The broker closed the channel for another reason.
        public static let channelClosed = Code(.channelClosed)
        /// The connection was lost or closed by the broker.
        public static let connectionClosed = Code(.connectionClosed)
        /// The delivery came from an earlier connection; the broker redelivers it, so it was not settled.
        public static let staleDelivery = Code(.staleDelivery)
        /// The delivery was already acknowledged or rejected; it was not settled again.
        public static let alreadySettled = Code(.alreadySettled)
        /// The delivery was received by a different consumer.
        public static let foreignDelivery = Code(.foreignDelivery)
        /// The publisher, consumer or inspector has been closed.
        public static let closed = Code(.closed)
        /// The broker or the library reported something unexpected.
        public static let protocolError = Code(.protocolError)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The AMQP reply code when the broker sent one (403, 404, 406, 320, …).
    public var replyCode: UInt16?
    /// Extra facts such as `amqp.endpoint` (redacted) or `amqp.queue`.
    public var context: [String: String]

    public init(code: Code, message: String, replyCode: UInt16? = nil, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.replyCode = replyCode
        self.context = context
    }

    public var description: String {
        var text = "AMQP \(code): \(message)"
        if let replyCode { text += " (reply code \(replyCode))" }
        if !context.isEmpty {
            text += " [" + context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "]"
        }
        return text
    }

    /// The same error with one more context entry.
    func with(_ key: String, _ value: String) -> AMQPError {
        var copy = self
        copy.context[key] = value
        return copy
    }
}
