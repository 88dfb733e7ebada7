import Logging

/// The publisher's connection thread: publishes, reads confirms and returns, reconnects and republishes.
///
/// Lives only on its own OS thread (not `Sendable`). Each wake-up it publishes everything the window
/// allows, then reads every frame that is available, then sleeps in `poll(2)` on the socket and wake pipe.
final class PublisherWorker {
    private struct Unconfirmed {
        var request: PublishRequest
        var returned: (replyCode: UInt16, replyText: String)?
    }

    private typealias ReturnHead = (replyCode: UInt16, replyText: String, exchange: String, routingKey: String)

    private let shared: PublisherState
    private let endpoint: AMQPEndpoint
    private let topology: AMQPTopology
    private let window: Int
    private let policy: AMQPReconnectPolicy
    private var logger: Logger

    private var connection: AMQPConnection?
    private var generation: UInt64 = 0
    /// Published on this connection, by delivery tag.
    private var unconfirmed: [UInt64: Unconfirmed] = [:]
    private var lowestTag: UInt64 = 1
    private var nextTag: UInt64 = 1
    /// Unconfirmed when the connection dropped; republished first on the next connection.
    private var republish: [PublishRequest] = []
    private var blocked = false
    private var returns = ContentAssembler<ReturnHead>()
    private var failedAttempts = 0
    private var nextAttempt = ContinuousClock.now

    init(
        shared: PublisherState, endpoint: AMQPEndpoint, topology: AMQPTopology, window: Int,
        policy: AMQPReconnectPolicy, logger: Logger
    ) {
        self.shared = shared
        self.endpoint = endpoint
        self.topology = topology
        self.window = max(1, window)
        self.policy = policy
        self.logger = logger
        self.logger[metadataKey: "amqp.connection"] = .string(endpoint.connectionName ?? "publisher")
    }

    /// Connects once (reporting the outcome to `startup`), then serves until closed.
    func run(startup: CheckedContinuation<Void, any Error>) {
        do {
            try connect()
        } catch {
            shared.terminate(with: error)
            startup.resume(throwing: error)
            return
        }
        startup.resume()
        while step() {}
    }

    /// One wake-up's work; false once the publisher is finished.
    private func step() -> Bool {
        shared.wake.drain()
        let deadline = shared.closeDeadline
        if connection == nil, ContinuousClock.now >= nextAttempt { reconnect() }
        // Read first: confirms free window space for the publishes that follow.
        if connection != nil { readFrames() }
        if connection != nil, !blocked { publishPending() }

        if let deadline {
            let idle = unconfirmed.isEmpty && republish.isEmpty && !shared.hasQueued
            if idle || ContinuousClock.now >= deadline {
                finish(timedOut: !idle)
                return false
            }
        }
        var timeout = endpoint.idleWakeInterval
        if let connection, connection.hasBufferedInput || (!blocked && unconfirmed.count < window && hasWork) {
            timeout = .zero
        }
        if connection == nil { timeout = min(timeout, max(.zero, nextAttempt - .now)) }
        if let deadline { timeout = min(timeout, max(.zero, deadline - .now)) }
        _ = shared.wake.wait(socket: connection?.socketFD, timeout: timeout)
        return true
    }

    // MARK: Publishing

    private var hasWork: Bool { !republish.isEmpty || shared.hasQueued }

    private func publishPending() {
        guard let connection else { return }
        do {
            var first: UInt64 = 0
            var again: UInt64 = 0
            defer {
                if first + again > 0 {
                    shared.update {
                        $0.published += first
                        $0.republished += again
                    }
                }
            }
            while !republish.isEmpty, unconfirmed.count < window {
                let request = republish.removeFirst()
                try send(request, on: connection)
                if request.wasSent { again += 1 } else { first += 1 }
            }
            let batch = shared.take(limit: republish.isEmpty ? window - unconfirmed.count : 0)
            for (index, request) in batch.enumerated() {
                do {
                    try send(request, on: connection)
                    first += 1
                } catch {
                    republish.append(contentsOf: batch[(index + 1)...])
                    throw error
                }
            }
        } catch {
            connectionLost(error)
        }
    }

    private func send(_ request: PublishRequest, on connection: AMQPConnection) throws(AMQPError) {
        let tag = nextTag
        // Track before sending: if the send fails half-way the message is republished, never lost.
        var sent = request
        sent.wasSent = true
        unconfirmed[tag] = Unconfirmed(request: sent)
        nextTag += 1
        try connection.publish(
            exchange: request.exchange, routingKey: request.routingKey, body: request.body,
            properties: request.properties, mandatory: request.mandatory)
    }

    // MARK: Reading confirms

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
        case .ack(let tag, let multiple):
            settle(upTo: tag, multiple: multiple) { entry in
                if let returned = entry.returned {
                    return .returned(replyCode: returned.replyCode, replyText: returned.replyText)
                }
                return .confirmed
            }
        case .nack(let tag, let multiple):
            settle(upTo: tag, multiple: multiple) { _ in .nacked }
        case .returned(let code, let text, let exchange, let routingKey):
            returns.begin((code, text, exchange, routingKey))
        case .contentHeader(let size, let properties):
            if let message = returns.header(bodySize: size, properties: properties) { matchReturn(message) }
        case .contentBody(let chunk):
            if let message = returns.body(chunk) { matchReturn(message) }
        case .blocked(let reason):
            blocked = true
            shared.setBlocked(true)
            logger.warning("broker blocked publishing", metadata: ["amqp.reason": .string(reason)])
        case .unblocked:
            blocked = false
            shared.setBlocked(false)
            logger.info("broker unblocked publishing")
        case .channelClosed(let error):
            try channelClosed(error)
        case .connectionClosed(let error):
            throw error
        default:
            break
        }
    }

    /// Settles one tag, or every tag up to `tag` when `multiple`.
    private func settle(upTo tag: UInt64, multiple: Bool, outcome: (Unconfirmed) -> AMQPPublishOutcome) {
        var settled: [(PublishRequest, AMQPPublishOutcome)] = []
        if multiple {
            while lowestTag <= tag {
                if let entry = unconfirmed.removeValue(forKey: lowestTag) { settled.append((entry.request, outcome(entry))) }
                lowestTag += 1
            }
        } else if let entry = unconfirmed.removeValue(forKey: tag) {
            settled.append((entry.request, outcome(entry)))
            while lowestTag < nextTag, unconfirmed[lowestTag] == nil { lowestTag += 1 }
        }
        guard !settled.isEmpty else { return }
        shared.update { statistics in
            for (_, result) in settled {
                switch result {
                case .confirmed: statistics.confirmed += 1
                case .returned: statistics.returned += 1
                case .nacked: statistics.nacked += 1
                }
            }
        }
        for (request, result) in settled { request.continuation.resume(returning: result) }
    }

    /// A `basic.return` carries no delivery tag: it belongs to the oldest unconfirmed mandatory message
    /// with the same exchange, routing key, message id and body (returns arrive in publish order).
    private func matchReturn(_ message: (ReturnHead, AMQPMessageProperties, [UInt8])) {
        let (head, properties, body) = message
        var tag = lowestTag
        while tag < nextTag {
            if let entry = unconfirmed[tag], entry.request.mandatory, entry.returned == nil,
                entry.request.exchange == head.exchange, entry.request.routingKey == head.routingKey,
                entry.request.properties.messageID == properties.messageID, entry.request.body == body
            {
                unconfirmed[tag]?.returned = (head.replyCode, head.replyText)
                return
            }
            tag += 1
        }
        logger.warning(
            "broker returned a message that matches no unconfirmed publish",
            metadata: ["amqp.exchange": .string(head.exchange), "amqp.routing_key": .string(head.routingKey)])
    }

    // MARK: Failures

    /// The broker closed the channel (for example: publish to a missing exchange). The messages it names
    /// fail with its error; the other unconfirmed ones are republished on a new channel.
    private func channelClosed(_ error: AMQPError) throws(AMQPError) {
        logger.error("broker closed the publishing channel", metadata: ["amqp.error": .string(error.description)])
        let entries = unconfirmed.sorted { $0.key < $1.key }.map(\.value.request)
        unconfirmed.removeAll()
        returns.reset()
        // Fail the messages the error names; if it names none of them, fail all (never loop republishing).
        var failed = entries
        if let culprit = Self.culprit(of: error) {
            let named = entries.filter(culprit)
            if !named.isEmpty {
                failed = named
                republish = (republish + entries.filter { !culprit($0) }).sorted { $0.order < $1.order }
            }
        }
        for request in failed { request.continuation.resume(throwing: error) }
        guard let connection else { return }
        try connection.openChannel()
        try connection.confirmSelect()
        lowestTag = 1
        nextTag = 1
    }

    private func connectionLost(_ error: any Error) {
        logger.warning(
            "publisher connection lost; reconnecting",
            metadata: ["amqp.error": .string("\(error)"), "amqp.generation": .stringConvertible(generation)])
        connection = nil
        shared.setConnected(false)
        blocked = false
        returns.reset()
        let pending = unconfirmed.sorted { $0.key < $1.key }.map(\.value.request)
        unconfirmed.removeAll()
        republish = (pending + republish).sorted { $0.order < $1.order }
        failedAttempts = 0
        nextAttempt = .now
    }

    // MARK: Connecting

    private func connect() throws(AMQPError) {
        let fresh = try AMQPConnection(endpoint: endpoint)
        try fresh.declare(topology)
        try fresh.confirmSelect()
        connection = fresh
        generation += 1
        lowestTag = 1
        nextTag = 1
        failedAttempts = 0
        shared.setConnected(true)
        shared.update { $0.connections += 1 }
        logger.debug("publisher connected", metadata: ["amqp.generation": .stringConvertible(generation)])
    }

    private func reconnect() {
        do {
            try connect()
            logger.info(
                "publisher reconnected",
                metadata: [
                    "amqp.generation": .stringConvertible(generation),
                    "amqp.republish": .stringConvertible(republish.count),
                ])
        } catch {
            failedAttempts += 1
            let delay = policy.delay(afterFailures: failedAttempts)
            nextAttempt = .now + delay
            logger.warning(
                "publisher reconnect failed",
                metadata: [
                    "amqp.error": .string(error.description), "amqp.attempt": .stringConvertible(failedAttempts),
                    "amqp.retry_in": .string("\(delay)"),
                ])
        }
    }

    /// Closes the connection; with `timedOut`, fails what the broker did not confirm in time.
    private func finish(timedOut: Bool) {
        let closed = AMQPError(
            code: .closed, message: "the publisher was closed before the broker confirmed this message",
            context: ["amqp.endpoint": endpoint.description])
        if timedOut {
            let pending = unconfirmed.values.map(\.request) + republish
            unconfirmed.removeAll()
            republish.removeAll()
            for request in pending { request.continuation.resume(throwing: closed) }
        }
        connection?.close()
        connection = nil
        shared.terminate(with: AMQPError(code: .closed, message: "the publisher is closed"))
    }
}
