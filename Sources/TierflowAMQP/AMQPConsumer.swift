import CTierflowShim
import Foundation
import Logging

/// Consumes one queue with manual acks and a prefetch limit, on its own connection and OS thread.
///
/// Deliveries arrive on ``deliveries``. When the connection drops, the consumer reconnects with backoff,
/// re-declares its topology and consumes again; the broker redelivers what was not acked. Deliveries of
/// the lost connection can no longer be settled: `ack`/`nack` throw ``AMQPError/Code/staleDelivery`` and
/// send nothing, so no message is acked twice or with a tag of another connection.
public final class AMQPConsumer: Sendable {
    private let state: ConsumerState
    /// Every delivery, in broker order. Finishes after ``stopConsuming()`` or ``close()``.
    public let deliveries: AsyncThrowingStream<AMQPDelivery, any Error>
    /// The endpoint, password redacted when printed.
    public let endpoint: AMQPEndpoint

    /// Connects (once, failing fast on a bad address, credentials or queue), declares `topology`, sets the
    /// prefetch and starts consuming `queue`.
    public convenience init(
        endpoint: AMQPEndpoint, queue: String, prefetch: Int = 64, topology: AMQPTopology = .empty,
        reconnect: AMQPReconnectPolicy = .standard, logger: Logger
    ) async throws {
        try await self.init(
            endpoint: endpoint, source: .queue(queue), prefetch: prefetch, topology: topology, reconnect: reconnect,
            logger: logger)
    }

    /// A consumer of a fresh server-named (`amq.gen-…`), exclusive, auto-delete queue, for replies: put
    /// ``queueName`` in `replyTo` and match replies by `correlationID`.
    ///
    /// The queue belongs to the connection: after a reconnect it has a new name and replies sent to the
    /// old one are lost, so requesters need a timeout and must read ``queueName`` per request.
    public static func replyQueue(
        endpoint: AMQPEndpoint, prefetch: Int = 64, reconnect: AMQPReconnectPolicy = .standard, logger: Logger
    ) async throws -> AMQPConsumer {
        try await AMQPConsumer(
            endpoint: endpoint, source: .serverNamedQueue, prefetch: prefetch, topology: .empty, reconnect: reconnect,
            logger: logger)
    }

    private init(
        endpoint: AMQPEndpoint, source: ConsumerWorker.Source, prefetch: Int, topology: AMQPTopology,
        reconnect: AMQPReconnectPolicy, logger: Logger
    ) async throws {
        self.endpoint = endpoint
        let state = ConsumerState()
        self.state = state
        let (stream, output) = AsyncThrowingStream<AMQPDelivery, any Error>.makeStream()
        self.deliveries = stream
        try await withCheckedThrowingContinuation { (startup: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                tf_set_current_thread_name("amqp-consumer")
                ConsumerWorker(
                    shared: state, endpoint: endpoint, source: source, prefetch: prefetch, topology: topology,
                    policy: reconnect, output: output, logger: logger
                ).run(startup: startup)
            }
            thread.start()
        }
    }

    deinit {
        requestClose(waiter: nil)
    }

    /// Acknowledges a delivery. Throws ``AMQPError/Code/staleDelivery`` if its connection is gone (the
    /// broker redelivers it), ``AMQPError/Code/alreadySettled`` if it was settled before.
    public func ack(_ delivery: AMQPDelivery) async throws {
        try await settle(delivery, requeue: nil)
    }

    /// Queues the ack of a delivery for the connection thread and returns at once, without waiting for it
    /// to be written. If the delivery's connection is gone by then, nothing is sent and the broker
    /// redelivers it, exactly as after ``ack(_:)`` throws ``AMQPError/Code/staleDelivery``. Acks queued
    /// before ``close()`` are sent before the connection closes. Throws only for another consumer's delivery.
    public func enqueueAck(_ delivery: AMQPDelivery) throws(AMQPError) {
        guard delivery.consumerID == state.id else {
            throw AMQPError(code: .foreignDelivery, message: "the delivery was received by another consumer")
        }
        state.send(.settle(tag: delivery.deliveryTag, generation: delivery.generation, requeue: nil, done: nil))
    }

    /// Rejects a delivery: back to the queue with `requeue`, else dead-lettered (or dropped without a DLX).
    /// Throws like ``ack(_:)``.
    public func nack(_ delivery: AMQPDelivery, requeue: Bool) async throws {
        try await settle(delivery, requeue: requeue)
    }

    private func settle(_ delivery: AMQPDelivery, requeue: Bool?) async throws {
        guard delivery.consumerID == state.id else {
            throw AMQPError(code: .foreignDelivery, message: "the delivery was received by another consumer")
        }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            state.send(
                .settle(tag: delivery.deliveryTag, generation: delivery.generation, requeue: requeue, done: done))
        }
    }

    /// Cancels the subscription (`basic.cancel`) and returns once the broker confirmed; ``deliveries``
    /// then finishes. Deliveries already received can still be acked — for a graceful drain.
    public func stopConsuming() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            state.send(.stopConsuming(done: done))
        }
    }

    /// Closes the connection: unacked deliveries go back to the queue; ``deliveries`` finishes.
    ///
    /// Acks are one-way in AMQP 0-9-1, so one sent just before the close can still be lost: a quorum queue's
    /// channel with more than 32 settles waiting on Raft holds the rest back and drops them when it closes.
    /// Those deliveries come again, as after a crash; consumers must be idempotent (every stage is).
    public func close() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            requestClose(waiter: waiter)
        }
    }

    private func requestClose(waiter: CheckedContinuation<Void, Never>?) {
        let finished = state.fields.withLock { fields in
            if fields.terminated { return true }
            fields.closeRequested = true
            if let waiter { fields.closeWaiters.append(waiter) }
            return false
        }
        if finished { waiter?.resume() } else { state.wake.signal() }
    }

    /// Whether `delivery` can still be settled: it came on the current connection of this consumer.
    /// Deliveries buffered before a reconnect are not; skipping their work saves a duplicate (the broker
    /// redelivers them).
    public func isCurrent(_ delivery: AMQPDelivery) -> Bool {
        state.fields.withLock { $0.isConnected && $0.generation == delivery.generation } && delivery.consumerID == state.id
    }

    /// The queue being consumed (for a reply queue: its current server-chosen name).
    public var queueName: String { state.fields.withLock { $0.queueName } }

    /// The current connection generation (1 for the first connection, +1 per reconnect).
    public var generation: UInt64 { state.fields.withLock { $0.generation } }

    /// Whether the connection is up right now.
    public var isConnected: Bool { state.fields.withLock { $0.isConnected } }
}
