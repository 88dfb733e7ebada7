/// What the broker said about one published message.
public enum AMQPPublishOutcome: Sendable, Hashable {
    /// The broker took responsibility for the message (routed to at least one queue, or not mandatory).
    case confirmed
    /// A mandatory message matched no queue: the broker returned it (then acked the return).
    case returned(replyCode: UInt16, replyText: String)
    /// The broker could not take the message (internal error); publishing again is safe.
    case nacked
}
