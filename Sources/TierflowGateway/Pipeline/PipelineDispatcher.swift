import Foundation
import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowCore
import TierflowPipeline

/// Sends queries to the ingest exchange as ready envelopes with the gateway's reply queue and a correlation
/// id, and hands each result arriving on that queue to the request waiting for it.
///
/// Run it as a service: ``run()`` consumes the reply queue and times out waiters. The reply queue is
/// server-named and belongs to its connection; after a reconnect it has a new name, so the name is read
/// per request and a request published before the reconnect times out (its result stays in `results`).
public final class PipelineDispatcher: QueryDispatcher, Service {
    let publisher: AMQPPublisher
    let replies: AMQPConsumer
    let exchange: String
    let pending = PendingReplies()
    let codec: EnvelopeCodec
    let logger: Logger

    /// Uses `publisher` to publish to `exchange` and `replies` (from `AMQPConsumer.replyQueue`) for results.
    public init(publisher: AMQPPublisher, replies: AMQPConsumer, exchange: String, maxMessageBytes: Int, logger: Logger) {
        self.publisher = publisher
        self.replies = replies
        self.exchange = exchange
        codec = EnvelopeCodec(maxMessageBytes: maxMessageBytes)
        self.logger = logger
    }

    public func answer(_ envelope: QueryEnvelope, timeout: Duration) async throws -> ResultMessage {
        var envelope = envelope
        let id = envelope.id
        envelope.reply = ReplyAddress(replyTo: replies.queueName, correlationId: id)
        pending.expect(id, deadline: .now + timeout)
        do {
            try await send(envelope)
        } catch {
            pending.discard(id)
            throw error
        }
        do {
            return try await pending.wait(id)
        } catch PendingReplies.Failure.timedOut {
            throw GatewayError.timeout(seconds: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        } catch PendingReplies.Failure.cancelled {
            throw CancellationError()
        }
    }

    public func publish(_ envelope: QueryEnvelope) async throws {
        var envelope = envelope
        envelope.reply = nil
        try await send(envelope)
    }

    /// Publishes `envelope` to the ingest exchange and waits for the broker's confirm.
    private func send(_ envelope: QueryEnvelope) async throws {
        let id = envelope.id
        let body = codec.encode(envelope)
        guard body.count <= codec.maxMessageBytes else {
            throw GatewayError.tooLarge(limit: codec.maxMessageBytes)
        }
        let properties = AMQPMessageProperties(
            contentType: "application/json", messageID: id, correlationID: envelope.reply == nil ? nil : id,
            replyTo: envelope.reply?.replyTo, timestamp: envelope.receivedAt, type: "envelope")
        let outcome: AMQPPublishOutcome
        do {
            outcome = try await publisher.publish(
                exchange: exchange, routingKey: "chat", body: body, properties: properties, mandatory: true)
        } catch {
            logger.warning("publish failed", metadata: ["query.id": "\(id)", "error": "\(error)"])
            throw GatewayError.unavailable("The pipeline is not reachable; try again.")
        }
        guard outcome == .confirmed else {
            logger.warning("publish refused", metadata: ["query.id": "\(id)", "amqp.outcome": "\(outcome)"])
            throw GatewayError.unavailable("The pipeline did not accept the query; try again.")
        }
    }

    /// Consumes results until graceful shutdown, then fails whoever still waits.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [pending] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(100))
                        pending.expire(now: .now)
                    }
                }
                for try await delivery in replies.deliveries {
                    try? replies.enqueueAck(delivery)
                    guard let correlation = delivery.properties.correlationID,
                        let result = try? codec.decode(ResultMessage.self, from: delivery.body)
                    else {
                        logger.notice("unreadable reply dropped", metadata: ["amqp.message_id": "\(delivery.properties.messageID ?? "-")"])
                        continue
                    }
                    pending.deliver(result, for: correlation)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [replies] in
            Task { await replies.stopConsuming() }
        }
        pending.failAll()
        await replies.close()
    }
}
