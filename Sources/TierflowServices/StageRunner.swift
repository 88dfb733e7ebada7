import Foundation
import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowCore
import TierflowMetrics
import TierflowPostgres

/// Runs one stage as a service, following the per-hop protocol for every delivery:
///
/// receive → decide (the ``StageHandler``) → commit the hop rows in one group-committed transaction and
/// publish the outputs, waiting for the broker's confirms → acknowledge the input only when both are done.
///
/// A crash anywhere costs at most a repeated decision or a duplicate message, never a lost query or a
/// duplicate row: the hop key makes replays no-ops. Stages that admit new work or finalise a query
/// (``StageHandler/publishesAfterCommit``) publish only after the commit, and only when the hop is new
/// or the broker redelivered the message (its earlier holder may have died before publishing), so a
/// repeated event or an alarm flood stops there, and a query's result is published only as committed;
/// other stages publish while they commit. Unusable messages are parked on the
/// dead-letter exchange with a reason. On graceful shutdown (SIGTERM) the runner cancels its
/// subscription, finishes and acknowledges what it holds, and returns.
public final class StageRunner: Service, Sendable {
    /// Where the stage reads from.
    public struct Input: Sendable {
        public var endpoint: AMQPEndpoint
        public var queue: String
        public var prefetch: Int
        public var topology: AMQPTopology
        /// Where unusable messages are parked.
        public var deadLetterExchange: String
        /// The batch lane of this stage, served only while no live message is in flight.
        public var batchQueue: String?
        /// The most batch messages held at once.
        public var batchPrefetch: Int
        /// How long after the last live delivery batch messages still run one at a time.
        public var batchLiveQuiet: Duration
        /// Batch messages started per second while live traffic flows (0: unpaced).
        public var batchRateWhileLive: Double

        public init(
            endpoint: AMQPEndpoint, queue: String, prefetch: Int, topology: AMQPTopology, deadLetterExchange: String,
            batchQueue: String? = nil, batchPrefetch: Int = 8, batchLiveQuiet: Duration = .milliseconds(500),
            batchRateWhileLive: Double = 50
        ) {
            self.endpoint = endpoint
            self.queue = queue
            self.prefetch = prefetch
            self.topology = topology
            self.deadLetterExchange = deadLetterExchange
            self.batchQueue = batchQueue
            self.batchPrefetch = batchPrefetch
            self.batchLiveQuiet = batchLiveQuiet
            self.batchRateWhileLive = batchRateWhileLive
        }
    }

    private let input: Input
    private let handler: any StageHandler
    private let publisher: AMQPPublisher
    private let writer: HopLogWriter
    private let logger: Logger
    private let ready = ReadinessFlag()
    private let lane: LaneGate
    private let metrics: StageMetrics

    public init(input: Input, handler: any StageHandler, publisher: AMQPPublisher, writer: HopLogWriter, logger: Logger) {
        self.input = input
        self.handler = handler
        self.publisher = publisher
        self.writer = writer
        lane = LaneGate(quietPeriod: input.batchLiveQuiet, ratePerSecondWhileLive: input.batchRateWhileLive)
        metrics = StageMetrics(stage: handler.stage, tier: handler.metricsTier)
        var logger = logger
        logger[metadataKey: "stage"] = "\(handler.stage)"
        logger[metadataKey: "amqp.queue"] = "\(input.queue)"
        self.logger = logger
    }

    /// Whether the runner is consuming and its database writer is connected.
    public var isReady: Bool { ready.value && writer.isHealthy }

    public func run() async throws {
        let consumer = try await AMQPConsumer(
            endpoint: input.endpoint, queue: input.queue, prefetch: input.prefetch, topology: input.topology, logger: logger)
        var batchConsumer: AMQPConsumer?
        if let batchQueue = input.batchQueue {
            batchConsumer = try await AMQPConsumer(
                endpoint: input.endpoint, queue: batchQueue, prefetch: input.batchPrefetch, topology: input.topology, logger: logger)
        }
        ready.set(true)
        logger.info("consuming")
        await withGracefulShutdownHandler { [batchConsumer] in
            await withDiscardingTaskGroup { group in
                if let batchConsumer { group.addTask { await self.serveBatchLane(batchConsumer) } }
                do {
                    for try await delivery in consumer.deliveries {
                        lane.liveStarted()
                        group.addTask {
                            await self.process(delivery, consumer: consumer)
                            self.lane.liveFinished()
                        }
                    }
                } catch {
                    logger.error("delivery stream failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: { [batchConsumer] in
            self.logger.info("draining: cancelling the subscription, finishing in-flight messages")
            self.ready.set(false)
            Task {
                await consumer.stopConsuming()
                await batchConsumer?.stopConsuming()
            }
        }
        ready.set(false)
        await consumer.close()
        await batchConsumer?.close()
        logger.info("stopped")
    }

    /// Batch-lane deliveries start only while no live delivery is in flight (the live queue is empty: with
    /// its prefetch, anything waiting there would be in flight here); one at a time and paced while live
    /// traffic is flowing, up to `batchPrefetch` at once when it has been quiet (``LaneGate``).
    private func serveBatchLane(_ batch: AMQPConsumer) async {
        await withDiscardingTaskGroup { group in
            do {
                for try await delivery in batch.deliveries {
                    await lane.acquireBatchTurn(limit: input.batchPrefetch)
                    group.addTask {
                        await self.process(delivery, consumer: batch)
                        self.lane.batchFinished()
                    }
                }
            } catch {
                logger.error("batch delivery stream failed", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: One delivery

    private func process(_ delivery: AMQPDelivery, consumer: AMQPConsumer) async {
        let message = IncomingMessage(delivery)
        let start = ContinuousClock.now
        metrics.received()
        var failures = 0
        while true {
            do {
                metrics.finished(try await handleOnce(message, delivery: delivery, consumer: consumer), since: start)
                return
            } catch is CancellationError {
                metrics.released()
                return
            } catch {
                failures += 1
                metrics.retried()
                logger.warning(
                    "hop failed; retrying", metadata: ["error": "\(error)", "attempt": "\(failures)", "amqp.message_id": "\(message.messageId ?? "-")"])
                if failures >= Self.maxLocalRetries {
                    // Give it back: the queue's delivery limit dead-letters it if this keeps happening.
                    try? await consumer.nack(delivery, requeue: true)
                    metrics.finished(.requeued, since: start)
                    return
                }
                try? await Task.sleep(for: Self.backoff(failures))
            }
        }
    }

    static let maxLocalRetries = 8

    static func backoff(_ failures: Int) -> Duration {
        let cap = min(5000.0, 100 * pow(2, Double(failures - 1)))
        return .milliseconds(Int.random(in: Int(cap / 2)...Int(cap)))
    }

    /// One attempt at the whole hop; returns how the delivery ended.
    private func handleOnce(_ message: IncomingMessage, delivery: AMQPDelivery, consumer: AMQPConsumer) async throws -> StageMetrics.Outcome {
        let outcome: StageOutcome
        do {
            outcome = try await handler.handle(message)
        } catch let rejection as MessageRejection {
            outcome = .rejected(rejection)
        }
        if let rejection = outcome.rejection {
            try await park(message, rejection: rejection)
            FaultInjection.reach(.afterPublish)
            try acknowledge(delivery, consumer: consumer)
            return .deadLettered
        }
        guard !outcome.writes.isEmpty else {
            try await publishAll(outcome.publications)
            FaultInjection.reach(.afterPublish)
            try acknowledge(delivery, consumer: consumer)
            return .ok
        }
        if handler.publishesAfterCommit {
            let primary = try await commit(outcome.writes)
            FaultInjection.reach(.afterCommit)
            if primary.hop == .duplicate && !message.redelivered {
                logger.debug("duplicate message; its hop is already committed", metadata: ["amqp.message_id": "\(message.messageId ?? "-")"])
            } else {
                try await publishAll(outcome.publications)
                FaultInjection.reach(.afterPublish)
            }
        } else {
            async let committed = commitThenReach(outcome.writes)
            try await publishAll(outcome.publications)
            FaultInjection.reach(.afterPublish)
            _ = try await committed
        }
        try acknowledge(delivery, consumer: consumer)
        return .ok
    }

    /// Queues the ack without waiting for the consumer thread to write it (one wake-up less per message);
    /// if the connection drops first, the broker redelivers the message and the hop key makes it a replay.
    private func acknowledge(_ delivery: AMQPDelivery, consumer: AMQPConsumer) throws {
        FaultInjection.reach(.beforeAck)
        try consumer.enqueueAck(delivery)
    }

    /// ``commit(_:)`` for the stages that publish while they commit: the crash point is the commit's end.
    private func commitThenReach(_ writes: [HopWrite]) async throws -> HopWriteOutcome {
        let outcome = try await commit(writes)
        FaultInjection.reach(.afterCommit)
        return outcome
    }

    /// Commits every write in one transaction (a final hop and its result are never seen apart) and returns
    /// the first one's outcome (the hop of this stage).
    private func commit(_ writes: [HopWrite]) async throws -> HopWriteOutcome {
        try await writer.write(writes)[0]
    }

    private func publishAll(_ publications: [Publication]) async throws {
        if publications.count == 1 {
            try await publishOne(publications[0])
            return
        }
        try await withThrowingDiscardingTaskGroup { group in
            for publication in publications {
                group.addTask { try await self.publishOne(publication) }
            }
        }
    }

    private func publishOne(_ publication: Publication) async throws {
        var properties = AMQPMessageProperties(
            contentType: "application/json", messageID: publication.messageId, correlationID: publication.correlationId,
            timestamp: Date(), type: publication.type)
        if !publication.headers.isEmpty { properties.headers = publication.headers.mapValues { .string($0) } }
        var outcome = AMQPPublishOutcome.nacked
        for _ in 0..<Self.maxLocalRetries {
            outcome = try await publisher.publish(
                exchange: publication.exchange, routingKey: publication.routingKey, body: publication.body,
                properties: properties, mandatory: publication.mandatory)
            guard outcome == .nacked else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        switch outcome {
        case .confirmed:
            return
        case .returned(let code, let text):
            // Only mandatory publishes are returned: a reply queue whose caller has gone away.
            logger.notice(
                "no queue took the message", metadata: ["amqp.routing_key": "\(publication.routingKey)", "amqp.reply": "\(code) \(text)"])
        case .nacked:
            throw StageError(code: .publishRefused, message: "the broker refused \(publication.messageId) repeatedly")
        }
    }

    /// Publishes an unusable message to the dead-letter exchange with its reason.
    private func park(_ message: IncomingMessage, rejection: MessageRejection) async throws {
        logger.warning(
            "dead-lettering message", metadata: ["reason": "\(rejection)", "amqp.message_id": "\(message.messageId ?? "-")"])
        var headers = [
            "x-tierflow-reason": rejection.reason, "x-tierflow-reason-code": rejection.code.description,
            "x-tierflow-queue": input.queue,
        ]
        if let queryId = message.queryIdHint { headers["x-tierflow-query-id"] = queryId }
        let messageId = message.messageId ?? "body-" + StableHash.hex(String(decoding: message.body, as: UTF8.self))
        try await publishOne(
            Publication(
                exchange: input.deadLetterExchange, routingKey: input.queue, body: message.body,
                messageId: messageId, correlationId: message.correlationId, type: message.type, headers: headers))
    }
}

extension IncomingMessage {
    init(_ delivery: AMQPDelivery) {
        var headers: [String: String] = [:]
        for (key, value) in delivery.properties.headers {
            if let text = value.stringValue {
                headers[key] = text
            } else if let number = value.intValue {
                headers[key] = String(number)
            }
        }
        self.init(
            body: delivery.body, messageId: delivery.properties.messageID, correlationId: delivery.properties.correlationID,
            replyTo: delivery.properties.replyTo, type: delivery.properties.type, redelivered: delivery.redelivered,
            headers: headers)
    }

    /// The query id of a message whose body is an envelope, when it can be read cheaply.
    var queryIdHint: String? {
        guard body.count < 1 << 20,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            object["schema"] != nil
        else { return nil }
        return object["id"] as? String
    }
}
