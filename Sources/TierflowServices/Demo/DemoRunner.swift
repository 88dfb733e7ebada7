import Foundation
import Logging
import TierflowAMQP
import TierflowCore
import TierflowPipeline

/// Publishes a sample of SCADA events and operator questions, waits for every result and reports them.
public struct DemoRunner: Sendable {
    let config: PipelineConfig
    let logger: Logger

    public init(config: PipelineConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs the demo; returns the results in publishing order of their first message.
    public func run(messages: [DemoMessage], timeout: Duration) async throws -> DemoReport {
        let topology = PipelineTopology(config: config)
        let endpoint = try AMQPEndpoint(url: config.broker.url.value).named("tierflow-demo")
        let replies = try await AMQPConsumer.replyQueue(endpoint: endpoint, logger: logger)
        let publisher = try await AMQPPublisher(endpoint: endpoint, topology: topology.all, logger: logger)
        let replyQueue = replies.queueName
        let decoder = IngestDecoder(config: config)

        // The query each message becomes, by the same rules the ingest stage applies.
        var expected: [String: [String]] = [:]
        var order: [String] = []
        for message in messages {
            let metadata = IngestMetadata(messageId: message.messageId, type: message.type)
            guard let query = try? decoder.decode(message.body, metadata: metadata, now: Date()) else { continue }
            if expected[query.envelope.id] == nil { order.append(query.envelope.id) }
            expected[query.envelope.id, default: []].append(message.label)
        }

        let started = ContinuousClock.now
        for message in messages {
            let properties = AMQPMessageProperties(
                contentType: "application/json", messageID: message.messageId, correlationID: message.messageId ?? message.label,
                replyTo: replyQueue, timestamp: Date(), type: message.type)
            _ = try await publisher.publish(
                exchange: topology.ingestExchange, routingKey: message.type == "chat" ? "chat" : "scada", body: message.body,
                properties: properties)
        }
        logger.info("published demo messages", metadata: ["demo.messages": "\(messages.count)", "demo.queries": "\(order.count)"])

        var results: [String: ResultMessage] = [:]
        let codec = EnvelopeCodec()
        let deadline = ContinuousClock.now + timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(until: deadline)
                await replies.stopConsuming()
            }
            for try await delivery in replies.deliveries {
                try? replies.enqueueAck(delivery)
                guard let result = try? codec.decode(ResultMessage.self, from: delivery.body) else { continue }
                results[result.queryId] = result
                if expected.keys.allSatisfy({ results[$0] != nil }) { break }
            }
            group.cancelAll()
        }
        let elapsed = started.duration(to: .now)
        await replies.close()
        await publisher.close()
        return DemoReport(
            config: config, order: order, labels: expected, results: results, messageCount: messages.count, elapsed: elapsed)
    }
}
