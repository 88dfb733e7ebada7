import Foundation
import Testing

@testable import TierflowAMQP

@Suite("Publish, consume, ack (live broker)", .enabled(if: LiveBroker.enabled))
struct RoundTripTests {
    /// Body i: binary with NUL bytes and every byte value, varying length (0 for i == 0).
    static func body(_ i: Int) -> [UInt8] {
        guard i > 0 else { return [] }
        return [0, 0xFF, 0, UInt8(i & 0xFF)] + Array("message \(i)".utf8) + (0..<(i % 300)).map { UInt8(($0 * 7 + i) & 0xFF) }
    }

    static func properties(_ i: Int) -> AMQPMessageProperties {
        AMQPMessageProperties(
            contentType: "application/octet-stream", contentEncoding: "identity", messageID: "m-\(i)",
            correlationID: "c-\(i)", replyTo: "tierflow.test.reply", timestamp: Date(timeIntervalSince1970: 1_700_000_000 + Double(i)),
            priority: UInt8(i % 10), expiration: .seconds(600), type: "test.message", appID: "tierflow-tests",
            headers: [
                "index": .int(Int64(i)), "text": .string("ünïcødé \(i)"), "flag": .bool(i % 2 == 0),
                "ratio": .double(Double(i) / 4), "blob": .bytes([0, 1, 2, 0]),
                "nested": .table(["list": .array([.int(1), .string("two")])]),
            ])
    }

    @Test func thousandMessagesRoundTripIntact() async throws {
        let queue = LiveBroker.uniqueName("roundtrip")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, quorum: true, deliveryLimit: 5)])
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("con"), queue: queue, prefetch: 100, topology: topology,
                logger: LiveBroker.logger)
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            let count = 1000
            let started = ContinuousClock.now

            async let outcomes: [AMQPPublishOutcome] = withThrowingTaskGroup(of: AMQPPublishOutcome.self) { group in
                for i in 0..<count {
                    group.addTask {
                        try await publisher.publish(routingKey: queue, body: Self.body(i), properties: Self.properties(i))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var received: [Int: AMQPDelivery] = [:]
            for try await delivery in consumer.deliveries {
                let id = try #require(delivery.properties.messageID)
                let index = try #require(Int(id.dropFirst(2)))
                received[index] = delivery
                try await consumer.ack(delivery)
                if received.count == count { break }
            }
            let published = try await outcomes
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("[throughput] publish+consume+ack round trip: \(count) msgs in \(elapsed) = \(Int(Double(count) / seconds)) msg/s")

            #expect(published.count == count)
            #expect(published.allSatisfy { $0 == .confirmed })
            for i in 0..<count {
                let delivery = try #require(received[i])
                #expect(delivery.body == Self.body(i))
                var expected = Self.properties(i)
                expected.headers["x-delivery-count"] = delivery.properties.headers["x-delivery-count"]
                #expect(delivery.properties == expected)
                #expect(delivery.routingKey == queue)
                #expect(delivery.exchange == "")
                #expect(!delivery.redelivered)
                #expect(delivery.generation == 1)
            }
            #expect(try await inspector.status(ofQueue: queue) == .init(messageCount: 0, consumerCount: 1))
            let statistics = publisher.statistics
            #expect(statistics.confirmed == UInt64(count))
            #expect(statistics.connections == 1)

            await consumer.close()
            await publisher.close()
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }
}
