import Logging

/// LISTENs on channels with its own connection and dedicated thread (for cache invalidation across
/// processes). After a reconnect it LISTENs again and yields a `.resubscribed` notification on every stream:
/// notifications sent while it was disconnected are lost, so consumers should then refresh everything.
///
/// Send with ``PostgresConnection/notify(channel:payload:)`` from any connection.
public final class PostgresListener: Sendable {
    private let loop: ListenerLoop

    /// Starts the listener thread; it connects in the background and reconnects with backoff.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        loop = ListenerLoop(configuration: configuration, logger: logger)
    }

    deinit { loop.closeSoon() }

    /// Whether the listener is connected.
    public var isConnected: Bool { loop.health.value }

    /// Notifications on `channel` (exact, case-sensitive name) from now on. Ending the iteration stops
    /// listening on the channel unless another stream wants it; the stream finishes when the listener closes.
    /// A consumer more than 10,000 notifications behind loses the oldest ones.
    public func notifications(channel: String) -> AsyncStream<PostgresNotification> {
        loop.subscribe(channel: channel)
    }

    /// Returns once `channel` is LISTENed on the current connection (a notification sent afterwards will
    /// arrive), or once the listener has closed. Call it after ``notifications(channel:)``.
    public func waitUntilListening(channel: String) async {
        await loop.waitUntilListening(channel: channel)
    }

    /// Stops listening, finishes every stream and closes the connection.
    public func close() async {
        await loop.close()
    }
}
