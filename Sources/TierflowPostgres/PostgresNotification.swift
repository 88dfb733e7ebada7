/// A message received on a LISTEN channel, or word that the listener had to reconnect.
public struct PostgresNotification: Sendable, Hashable {
    /// What this notification says.
    public enum Kind: Sendable, Hashable {
        /// A `NOTIFY`/`pg_notify` sent by some session.
        case message
        /// The listener reconnected and listens again. Notifications sent while it was disconnected are
        /// lost: treat this as "anything may have changed" (e.g. drop the whole cache).
        case resubscribed
    }

    /// The channel name.
    public var channel: String
    /// The payload (empty for `.resubscribed`).
    public var payload: String
    /// The backend process id of the sender (0 for `.resubscribed`).
    public var senderProcessID: Int32
    /// Whether this is a message or a reconnect marker.
    public var kind: Kind

    /// Creates a notification.
    public init(channel: String, payload: String, senderProcessID: Int32 = 0, kind: Kind = .message) {
        self.channel = channel
        self.payload = payload
        self.senderProcessID = senderProcessID
        self.kind = kind
    }
}
