import Foundation
import Testing

@testable import TierflowAMQP

@Suite("Heartbeats and closing (live broker)", .enabled(if: LiveBroker.enabled))
struct LifecycleTests {
    @Test func connectionThreadsAreNamedForTheirRole() async throws {
        // As `top -H`, `perf` and crash reports show them; this process's threads, from /proc.
        func threadNames() throws -> Set<String> {
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            return Set(tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        }
        let queue = LiveBroker.uniqueName("names")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, durable: false)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("names-pub"), topology: topology, logger: LiveBroker.logger)
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("names-con"), queue: queue, topology: topology, logger: LiveBroker.logger)
            let names = try threadNames()
            await consumer.close()
            await publisher.close()
            #expect(names.isSuperset(of: ["amqp-publisher", "amqp-consumer"]), "\(names.sorted())")
        }
    }

    @Test func idleConnectionsSurviveOnHeartbeats() async throws {
        let queue = LiveBroker.uniqueName("heartbeat")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, durable: false)])
            var publisherEndpoint = try LiveBroker.worker("hb-pub")
            publisherEndpoint.heartbeatSeconds = 1
            var consumerEndpoint = try LiveBroker.worker("hb-con")
            consumerEndpoint.heartbeatSeconds = 1
            let publisher = try await AMQPPublisher(endpoint: publisherEndpoint, topology: topology, logger: LiveBroker.logger)
            let consumer = try await AMQPConsumer(endpoint: consumerEndpoint, queue: queue, topology: topology, logger: LiveBroker.logger)

            // The broker drops a peer after two missed 1 s heartbeats; idle for 4 s.
            try await Task.sleep(for: .seconds(4))
            #expect(try await publisher.publish(routingKey: queue, body: [7]) == .confirmed)
            var iterator = consumer.deliveries.makeAsyncIterator()
            let delivery = try #require(try await iterator.next())
            try await consumer.ack(delivery)
            #expect(delivery.generation == 1)
            #expect(consumer.generation == 1)
            #expect(publisher.statistics.connections == 1)
            await consumer.close()
            await publisher.close()
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("cleanup"), logger: LiveBroker.logger)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }

    @Test func closeWaitsForOutstandingConfirmsAndRefusesLaterPublishes() async throws {
        let queue = LiveBroker.uniqueName("close")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("close"), topology: .init(queues: [.init(name: queue, quorum: true)]),
                logger: LiveBroker.logger)
            let results = await withTaskGroup(of: Result<AMQPPublishOutcome, any Error>.self) { group in
                for i in 0..<500 {
                    group.addTask {
                        do {
                            return .success(try await publisher.publish(routingKey: queue, body: Array("\(i)".utf8)))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                group.addTask {
                    await publisher.close()
                    return .success(.nacked)  // marker, filtered below
                }
                var results: [Result<AMQPPublishOutcome, any Error>] = []
                for await result in group { results.append(result) }
                return results
            }
            var confirmed = 0
            var refused = 0
            for result in results {
                switch result {
                case .success(.confirmed): confirmed += 1
                case .success(.nacked): break
                case .success(let other): Issue.record("unexpected outcome \(other)")
                case .failure(let error):
                    #expect((error as? AMQPError)?.code == .closed)
                    refused += 1
                }
            }
            #expect(confirmed + refused == 500)
            #expect(publisher.isConnected == false)
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            // Every publish that was not refused was confirmed and is in the queue; none was dropped by close.
            #expect(try await inspector.status(ofQueue: queue).messageCount == confirmed)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }
}

/// Raises a memory alarm on the shared broker, so it is opt-in (`TIERFLOW_AMQP_ALARM_TEST=1`): other
/// suites publishing at the same moment would be held for a second too.
@Suite(
    "Broker alarm (live broker, opt-in)",
    .enabled(if: LiveBroker.enabled && ProcessInfo.processInfo.environment["TIERFLOW_AMQP_ALARM_TEST"] == "1"))
struct BrokerAlarmTests {
    @Test func publishesWaitWhileTheBrokerBlocksAndCompleteAfterwards() async throws {
        let queue = LiveBroker.uniqueName("alarm")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("alarm"), topology: .init(queues: [.init(name: queue)]),
                logger: LiveBroker.logger)
            #expect(try await publisher.publish(routingKey: queue, body: [1]) == .confirmed)
            _ = try await LiveBroker.rabbitmqctl(["set_vm_memory_high_watermark", "absolute", "1"])
            do {
                // RabbitMQ sends connection.blocked when the connection next publishes; the broker holds that one.
                let first = Task { try await publisher.publish(routingKey: queue, body: [2]) }
                #expect(try await LiveBroker.eventually(timeout: .seconds(10)) { publisher.isBlocked })
                // While blocked, the publisher holds further publishes itself instead of writing them.
                let second = Task { try await publisher.publish(routingKey: queue, body: [3]) }
                try await Task.sleep(for: .milliseconds(500))
                #expect(publisher.statistics.published == 2)
                _ = try await LiveBroker.rabbitmqctl(["set_vm_memory_high_watermark", "0.4"])
                #expect(try await first.value == .confirmed)
                #expect(try await second.value == .confirmed)
                #expect(publisher.statistics.published == 3)
                #expect(!publisher.isBlocked)
                #expect(publisher.statistics.connections == 1)
            } catch {
                _ = try? await LiveBroker.rabbitmqctl(["set_vm_memory_high_watermark", "0.4"])
                throw error
            }
            await publisher.close()
        }
    }
}
