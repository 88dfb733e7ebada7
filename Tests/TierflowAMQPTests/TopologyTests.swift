import Foundation
import Testing

@testable import TierflowAMQP

@Suite("Topology and dead-lettering (live broker)", .enabled(if: LiveBroker.enabled))
struct TopologyTests {
    struct Names {
        let work = LiveBroker.uniqueName("work")
        let dlx = LiveBroker.uniqueName("dlx")
        let dlq = LiveBroker.uniqueName("dlq")
        let exchange = LiveBroker.uniqueName("ingest")

        var topology: AMQPTopology {
            AMQPTopology(
                exchanges: [.init(name: exchange, kind: .topic), .init(name: dlx, kind: .fanout)],
                queues: [
                    .init(name: work, quorum: true, deliveryLimit: 1, deadLetterExchange: dlx, deadLetterRoutingKey: "dead"),
                    .init(name: dlq, quorum: true),
                ],
                bindings: [
                    .init(queue: work, exchange: exchange, routingKey: "work.#"),
                    .init(queue: dlq, exchange: dlx, routingKey: ""),
                ])
        }

        func delete(_ inspector: AMQPQueueInspector) async throws {
            for queue in [work, dlq] { try await inspector.deleteQueue(queue) }
            for exchange in [exchange, dlx] { try await inspector.deleteExchange(exchange) }
        }
    }

    @Test func declareIsIdempotentAndCreatesAQuorumQueueWithLimitAndDeadLetterExchange() async throws {
        let names = Names()
        try await LiveBroker.withCleanup(queues: [names.work, names.dlq], exchanges: [names.exchange, names.dlx]) {
            let endpoint = try LiveBroker.worker("setup")
            try await names.topology.declare(endpoint: endpoint, logger: LiveBroker.logger)
            try await names.topology.declare(endpoint: endpoint, logger: LiveBroker.logger)

            let listing = try await LiveBroker.rabbitmqctl(
                ["-q", "--no-table-headers", "list_queues", "-p", "tierflow", "name", "type", "arguments"])
            let line = try #require(listing.split(separator: "\n").first { $0.hasPrefix(names.work + "\t") })
            #expect(line.contains("quorum"))
            #expect(line.contains("x-delivery-limit"))
            #expect(line.contains(names.dlx))
            #expect(line.contains("x-dead-letter-routing-key"))

            // A conflicting re-declare is refused, which shows the arguments really were sent.
            var conflicting = names.topology
            conflicting.queues[0].deliveryLimit = 7
            let error = try await #require(throws: AMQPError.self) {
                try await conflicting.declare(endpoint: endpoint, logger: LiveBroker.logger)
            }
            #expect(error.code == .preconditionFailed)

            let inspector = try await AMQPQueueInspector(endpoint: endpoint, logger: LiveBroker.logger)
            #expect(try await inspector.status(ofQueue: names.work) == .init(messageCount: 0, consumerCount: 0))
            try await names.delete(inspector)
            await inspector.close()
        }
    }

    @Test func nackWithoutRequeueDeadLettersAndTheDeliveryLimitIsEnforced() async throws {
        let names = Names()
        try await LiveBroker.withCleanup(queues: [names.work, names.dlq], exchanges: [names.exchange, names.dlx]) {
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("pub"), topology: names.topology, logger: LiveBroker.logger)
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("work"), queue: names.work, prefetch: 10, topology: names.topology,
                logger: LiveBroker.logger)
            var deliveries = consumer.deliveries.makeAsyncIterator()

            // 1. Rejected without requeue: dead-lettered at once.
            #expect(
                try await publisher.publish(
                    exchange: names.exchange, routingKey: "work.a", body: [0, 1, 0], properties: .init(messageID: "poison"))
                    == .confirmed)
            let poison = try #require(try await deliveries.next())
            #expect(poison.properties.messageID == "poison")
            try await consumer.nack(poison, requeue: false)

            // 2. Requeued until the delivery limit (1) is exceeded: the second delivery carries x-delivery-count 1.
            #expect(
                try await publisher.publish(
                    exchange: names.exchange, routingKey: "work.b", body: [9], properties: .init(messageID: "crashloop"))
                    == .confirmed)
            let first = try #require(try await deliveries.next())
            #expect(first.properties.messageID == "crashloop")
            #expect(first.deliveryCount == nil)
            try await consumer.nack(first, requeue: true)
            let second = try #require(try await deliveries.next())
            #expect(second.properties.messageID == "crashloop")
            #expect(second.redelivered)
            #expect(second.deliveryCount == 1)
            try await consumer.nack(second, requeue: true)

            let dead = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("dlq"), queue: names.dlq, prefetch: 10, logger: LiveBroker.logger)
            var deadIterator = dead.deliveries.makeAsyncIterator()
            var reasons: [String: String] = [:]
            for _ in 0..<2 {
                let message = try #require(try await deadIterator.next())
                reasons[message.properties.messageID ?? "?"] = message.properties.headers["x-first-death-reason"]?.stringValue
                if message.properties.messageID == "poison" {
                    #expect(message.body == [0, 1, 0])
                    #expect(message.routingKey == "dead")
                }
                try await dead.ack(message)
            }
            #expect(reasons == ["poison": "rejected", "crashloop": "delivery_limit"])

            await dead.close()
            await consumer.close()
            await publisher.close()
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("cleanup"), logger: LiveBroker.logger)
            #expect(try await inspector.status(ofQueue: names.work).messageCount == 0)
            #expect(try await inspector.status(ofQueue: names.dlq).messageCount == 0)
            try await names.delete(inspector)
            await inspector.close()
        }
    }
}
