import CTierflowShim
import Foundation
import Logging

/// Publishes messages with publisher confirms on its own connection and OS thread.
///
/// Many `publish` calls may be in flight at once (up to `confirmWindow` unconfirmed; more wait their turn).
/// Each returns once the broker confirmed, returned or nacked that message. When the connection drops,
/// the publisher reconnects with backoff, re-declares its topology and republishes every unconfirmed
/// message, so nothing is lost but a consumer may see a message twice (de-duplicate by message id).
public final class AMQPPublisher: Sendable {
    /// Counters since the publisher started.
    public struct Statistics: Sendable, Hashable {
        /// First sends (republishing not counted).
        public var published: UInt64 = 0
        public var confirmed: UInt64 = 0
        public var returned: UInt64 = 0
        public var nacked: UInt64 = 0
        /// Messages sent again after a connection or channel loss.
        public var republished: UInt64 = 0
        /// Successful connects, the first one included.
        public var connections: UInt64 = 0
    }

    private let state: PublisherState
    /// The endpoint, password redacted when printed.
    public let endpoint: AMQPEndpoint

    /// Connects (once, failing fast on a bad address or credentials), declares `topology` and enables confirms.
    ///
    /// - Parameters:
    ///   - confirmWindow: the most messages awaiting a confirm at once.
    ///   - reconnect: backoff between reconnect attempts after the connection is lost.
    public init(
        endpoint: AMQPEndpoint, topology: AMQPTopology = .empty, confirmWindow: Int = 256,
        reconnect: AMQPReconnectPolicy = .standard, logger: Logger
    ) async throws {
        self.endpoint = endpoint
        let state = PublisherState()
        self.state = state
        try await withCheckedThrowingContinuation { (startup: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                tf_set_current_thread_name("amqp-publisher")
                PublisherWorker(
                    shared: state, endpoint: endpoint, topology: topology, window: confirmWindow, policy: reconnect,
                    logger: logger
                ).run(startup: startup)
            }
            thread.start()
        }
    }

    deinit {
        // Dropped without close(): let the thread finish what is in flight, then exit.
        requestClose(timeout: .seconds(5), waiter: nil)
    }

    /// Publishes one message and waits for the broker's verdict.
    ///
    /// The message is sent even if the calling task is cancelled. Throws ``AMQPError`` when the publisher
    /// is closed, or when the broker closed the channel because of this message (missing exchange,
    /// refused access); connection losses are not errors — the message is republished.
    public func publish(
        exchange: String = "", routingKey: String, body: [UInt8], properties: AMQPMessageProperties = .init(),
        mandatory: Bool = false
    ) async throws -> AMQPPublishOutcome {
        try await withCheckedThrowingContinuation { continuation in
            state.submit(
                exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory,
                continuation: continuation)
        }
    }

    /// Stops accepting publishes, waits up to `timeout` for outstanding confirms, then closes the connection.
    /// Publishes still unconfirmed at the deadline fail with ``AMQPError/Code/closed``.
    public func close(timeout: Duration = .seconds(10)) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            requestClose(timeout: timeout, waiter: waiter)
        }
    }

    private func requestClose(timeout: Duration, waiter: CheckedContinuation<Void, Never>?) {
        let finished = state.fields.withLock { fields in
            if fields.terminated != nil { return true }
            if fields.closeDeadline == nil { fields.closeDeadline = .now + timeout }
            if let waiter { fields.closeWaiters.append(waiter) }
            return false
        }
        if finished { waiter?.resume() } else { state.wake.signal() }
    }

    /// Counters since the publisher started.
    public var statistics: Statistics { state.fields.withLock { $0.statistics } }

    /// Whether the connection is up right now (false while reconnecting or after close).
    public var isConnected: Bool { state.fields.withLock { $0.isConnected } }

    /// Whether the broker has blocked publishing (memory or disk alarm); publishes wait meanwhile.
    public var isBlocked: Bool { state.fields.withLock { $0.isBlocked } }
}
