import Logging

/// The consumer's connection thread: reads deliveries, sends acks, reconnects and re-consumes.
///
/// Lives only on its own OS thread (not `Sendable`). Each wake-up it sends every queued ack/nack (the acks
/// below the oldest delivery still held as one ack with `multiple`), then reads every available frame, then
/// sleeps in `poll(2)` on the socket and the wake pipe (at most half a heartbeat, so heartbeats keep flowing).
final class ConsumerWorker {
    /// What to consume.
    enum Source: Sendable {
        case queue(String)
        /// A server-named, exclusive, auto-delete queue, new on every connection (reply queues).
        case serverNamedQueue
    }

    private typealias DeliverHead = (consumerTag: String, tag: UInt64, redelivered: Bool, exchange: String, key: String)

    private let shared: ConsumerState
    private let endpoint: AMQPEndpoint
    private let source: Source
    private let prefetch: Int
    private let topology: AMQPTopology
    private let policy: AMQPReconnectPolicy
    private let output: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation
    private var logger: Logger

    private var connection: AMQPConnection?
    private var generation: UInt64 = 0
    private var consumerTag: String?
    /// Delivered on the current connection and not yet acked or nacked.
    private var unsettled: Set<UInt64> = []
    /// Acks taken from the commands of this wake-up, sent together by ``sendPendingAcks()``.
    private var pendingAcks: [(tag: UInt64, done: CheckedContinuation<Void, any Error>?)] = []
    private var deliveries = ContentAssembler<DeliverHead>()
    /// After `stopConsuming`: no re-consume, no reconnect.
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var failedAttempts = 0
    private var nextAttempt = ContinuousClock.now

    init(
        shared: ConsumerState, endpoint: AMQPEndpoint, source: Source, prefetch: Int, topology: AMQPTopology,
        policy: AMQPReconnectPolicy, output: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation, logger: Logger
    ) {
        self.shared = shared
        self.endpoint = endpoint
        self.source = source
        self.prefetch = max(1, prefetch)
        self.topology = topology
        self.policy = policy
        self.output = output
        self.logger = logger
        self.logger[metadataKey: "amqp.connection"] = .string(endpoint.connectionName ?? "consumer")
        if case .queue(let name) = source { self.logger[metadataKey: "amqp.queue"] = .string(name) }
    }

    /// Connects once (reporting the outcome to `startup`), then serves until closed.
    func run(startup: CheckedContinuation<Void, any Error>) {
        do {
            try connect()
        } catch {
            output.finish(throwing: error)
            shared.terminate()
            startup.resume(throwing: error)
            return
        }
        startup.resume()
        while step() {}
    }

    private func step() -> Bool {
        shared.wake.drain()
        let (commands, close) = shared.takeCommands()
        for command in commands { perform(command) }
        sendPendingAcks()
        if close {
            connection?.close()
            connection = nil
            finishStream()
            shared.terminate()
            return false
        }
        if connection == nil, !stopped, ContinuousClock.now >= nextAttempt { reconnect() }
        if connection != nil { readFrames() }

        var timeout = endpoint.idleWakeInterval
        if let connection, connection.hasBufferedInput { timeout = .zero }
        if connection == nil && !stopped { timeout = min(timeout, max(.zero, nextAttempt - .now)) }
        _ = shared.wake.wait(socket: connection?.socketFD, timeout: timeout)
        return true
    }

    // MARK: Commands

    private func perform(_ command: ConsumerState.Command) {
        switch command {
        case .settle(let tag, let deliveryGeneration, let requeue, let done):
            guard let connection, deliveryGeneration == generation else {
                settled(done, failing: stale(tag: tag, deliveryGeneration))
                return
            }
            guard unsettled.remove(tag) != nil else {
                settled(
                    done,
                    failing: AMQPError(
                        code: .alreadySettled,
                        message: "delivery \(tag) was already acked or nacked; not sent again",
                        context: ["amqp.generation": String(generation)]))
                return
            }
            guard let requeue else {
                pendingAcks.append((tag, done))
                return
            }
            do {
                try connection.nack(deliveryTag: tag, requeue: requeue)
                done?.resume()
            } catch {
                connectionLost(error)
                settled(done, failing: stale(tag: tag, deliveryGeneration))
            }
        case .stopConsuming(let done):
            guard let connection, let consumerTag, !stopped else {
                stopped = true
                finishStream()
                done.resume()
                return
            }
            stopped = true
            stopWaiters.append(done)
            do {
                try connection.sendCancel(consumerTag: consumerTag)
            } catch {
                connectionLost(error)
            }
        }
    }

    /// Sends the acks queued in this wake-up. Every delivery below the oldest one still held is settled once
    /// these are, so those acks go out as one ack with `multiple` (one frame, and one settle command in a
    /// quorum queue, instead of one each); acks above it go out one by one.
    private func sendPendingAcks() {
        guard !pendingAcks.isEmpty else { return }
        defer { pendingAcks.removeAll(keepingCapacity: true) }
        guard let connection else {
            for ack in pendingAcks { settled(ack.done, failing: stale(tag: ack.tag, generation)) }
            return
        }
        let oldestHeld = unsettled.min() ?? .max
        var covered: UInt64 = 0
        do {
            for ack in pendingAcks {
                if ack.tag < oldestHeld {
                    covered = max(covered, ack.tag)
                } else {
                    try connection.ack(deliveryTag: ack.tag)
                }
            }
            if covered > 0 { try connection.ack(deliveryTag: covered, multiple: true) }
            for ack in pendingAcks { ack.done?.resume() }
        } catch {
            let lost = generation
            connectionLost(error)
            for ack in pendingAcks { settled(ack.done, failing: stale(tag: ack.tag, lost)) }
        }
    }

    /// Reports a settlement that sent nothing: to its waiter, or to the log when nobody waits (the broker
    /// redelivers a stale delivery, so that is no loss).
    private func settled(_ done: CheckedContinuation<Void, any Error>?, failing error: AMQPError) {
        if let done {
            done.resume(throwing: error)
        } else {
            logger.debug("settlement not sent", metadata: ["amqp.error": .string(error.description)])
        }
    }

    private func stale(tag: UInt64, _ deliveryGeneration: UInt64) -> AMQPError {
        AMQPError(
            code: .staleDelivery,
            message: "delivery \(tag) came on connection generation \(deliveryGeneration), which is gone "
                + "(current: \(connection == nil ? "reconnecting" : String(generation))); "
                + "the broker redelivers it, so it was not settled",
            context: ["amqp.generation": String(deliveryGeneration)])
    }

    // MARK: Reading

    private func readFrames() {
        guard let connection else { return }
        do {
            try connection.readAvailableFrames { frame throws(AMQPError) in
                try handle(frame)
                return self.connection != nil
            }
        } catch {
            connectionLost(error)
        }
    }

    private func handle(_ frame: InboundFrame) throws(AMQPError) {
        switch frame {
        case .deliver(let tag, let deliveryTag, let redelivered, let exchange, let key):
            deliveries.begin((tag, deliveryTag, redelivered, exchange, key))
        case .contentHeader(let size, let properties):
            if let message = deliveries.header(bodySize: size, properties: properties) { emit(message) }
        case .contentBody(let chunk):
            if let message = deliveries.body(chunk) { emit(message) }
        case .cancelOK:
            consumerTag = nil
            finishStream()
        case .cancelledByBroker(let tag):
            throw AMQPError(code: .channelClosed, message: "the broker cancelled consumer \(tag) (queue deleted?)")
        case .channelClosed(let error), .connectionClosed(let error):
            throw error
        default:
            break
        }
    }

    private func emit(_ message: (DeliverHead, AMQPMessageProperties, [UInt8])) {
        let (head, properties, body) = message
        unsettled.insert(head.tag)
        output.yield(
            AMQPDelivery(
                body: body, exchange: head.exchange, routingKey: head.key, redelivered: head.redelivered,
                deliveryTag: head.tag, properties: properties, generation: generation, consumerTag: head.consumerTag,
                consumerID: shared.id))
    }

    private func finishStream() {
        output.finish()
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters = []
    }

    // MARK: Connecting

    private func connect() throws(AMQPError) {
        let fresh = try AMQPConnection(endpoint: endpoint)
        try fresh.declare(topology)
        let queue: String
        switch source {
        case .queue(let name):
            queue = name
        case .serverNamedQueue:
            queue = try fresh.declareQueue(.init(name: "", durable: false, exclusive: true, autoDelete: true)).name
        }
        try fresh.qos(prefetch: prefetch)
        consumerTag = try fresh.consume(queue: queue)
        connection = fresh
        generation += 1
        unsettled.removeAll()
        failedAttempts = 0
        shared.connected(generation: generation, queueName: queue)
        logger.debug("consumer connected", metadata: ["amqp.generation": .stringConvertible(generation)])
    }

    private func reconnect() {
        do {
            try connect()
            logger.info("consumer reconnected", metadata: ["amqp.generation": .stringConvertible(generation)])
        } catch {
            failedAttempts += 1
            let delay = policy.delay(afterFailures: failedAttempts)
            nextAttempt = .now + delay
            logger.warning(
                "consumer reconnect failed",
                metadata: [
                    "amqp.error": .string(error.description), "amqp.attempt": .stringConvertible(failedAttempts),
                    "amqp.retry_in": .string("\(delay)"),
                ])
        }
    }

    /// Drops the connection; its unsettled deliveries become stale (the broker requeues them).
    private func connectionLost(_ error: any Error) {
        logger.warning(
            "consumer connection lost",
            metadata: [
                "amqp.error": .string("\(error)"), "amqp.generation": .stringConvertible(generation),
                "amqp.unsettled": .stringConvertible(unsettled.count),
            ])
        connection = nil
        consumerTag = nil
        unsettled.removeAll()
        deliveries.reset()
        shared.disconnected()
        failedAttempts = 0
        nextAttempt = .now
        if stopped { finishStream() }
    }
}
