import Foundation
import Testing

@testable import TierflowAMQP

/// Not part of the normal run (no timing assertions): `TIERFLOW_AMQP_BENCH=1` prints throughput figures.
@Suite(
    "Throughput benchmark (live broker)",
    .enabled(if: LiveBroker.enabled && ProcessInfo.processInfo.environment["TIERFLOW_AMQP_BENCH"] == "1"))
struct ThroughputBenchmark {
    static let count = Int(ProcessInfo.processInfo.environment["TIERFLOW_AMQP_BENCH_COUNT"] ?? "") ?? 20_000

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func publishConsumeAckRoundTrip() async throws {
        let queue = LiveBroker.uniqueName("bench")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, quorum: true, deliveryLimit: 5)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("bench-pub"), topology: topology, logger: LiveBroker.logger)
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("bench-con"), queue: queue, prefetch: 128, topology: topology, logger: LiveBroker.logger)
            let body = [UInt8](repeating: 0x61, count: 1024)
            let count = Self.count

            let started = ContinuousClock.now
            async let published: Duration = {
                try await withThrowingTaskGroup(of: AMQPPublishOutcome.self) { group in
                    var inFlight = 0
                    for i in 0..<count {
                        if inFlight >= 1024 {
                            _ = try await group.next()
                            inFlight -= 1
                        }
                        group.addTask {
                            try await publisher.publish(routingKey: queue, body: body, properties: .init(messageID: "\(i)"))
                        }
                        inFlight += 1
                    }
                    for try await outcome in group { precondition(outcome == .confirmed) }
                }
                return ContinuousClock.now - started
            }()
            var received = 0
            for try await delivery in consumer.deliveries {
                try await consumer.ack(delivery)
                received += 1
                if received == count { break }
            }
            let roundTrip = ContinuousClock.now - started
            let publishTime = try await published
            print(
                "[bench] \(count) x 1 KiB persistent, quorum queue, confirms + manual acks: publish \(Int(Double(count) / Self.seconds(publishTime))) msg/s, "
                    + "publish+consume+ack round trip \(Int(Double(count) / Self.seconds(roundTrip))) msg/s")
            #expect(received == count)
            await consumer.close()
            await publisher.close()
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("bench-cleanup"), logger: LiveBroker.logger)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }
}
