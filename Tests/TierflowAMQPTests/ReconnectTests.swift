import Foundation
import Synchronization
import Testing

@testable import TierflowAMQP

/// A flag shared with a child task.
final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

@Suite("Reconnects after the broker closes connections (live broker)", .enabled(if: LiveBroker.enabled))
struct ReconnectTests {
    @Test func consumerReconnectsEveryMessageIsAckedOnceAndStaleAcksAreRefused() async throws {
        let queue = LiveBroker.uniqueName("consumer-drop")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, quorum: true, deliveryLimit: 20)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)
            let count = 500
            try await withThrowingTaskGroup(of: AMQPPublishOutcome.self) { group in
                for i in 0..<count {
                    group.addTask {
                        try await publisher.publish(routingKey: queue, body: Array("\(i)".utf8), properties: .init(messageID: "\(i)"))
                    }
                }
                for try await outcome in group { #expect(outcome == .confirmed) }
            }

            let endpoint = try LiveBroker.worker("consumer")
            let consumer = try await AMQPConsumer(
                endpoint: endpoint, queue: queue, prefetch: 50, topology: topology,
                reconnect: .init(initialDelay: .milliseconds(50), maximumDelay: .seconds(1)), logger: LiveBroker.logger)
            var acked: [String: Int] = [:]
            var held: [AMQPDelivery] = []
            var firstGenerationAcks = 0
            var killed = false
            var staleRefusals = 0
            var staleAttempts = 0
            for try await delivery in consumer.deliveries {
                let id = try #require(delivery.properties.messageID)
                if delivery.generation == 1 {
                    // First connection: ack 80, then hold everything else unacked and have the broker drop us.
                    if firstGenerationAcks < 80 {
                        try await consumer.ack(delivery)
                        acked[id, default: 0] += 1
                        firstGenerationAcks += 1
                    } else {
                        held.append(delivery)
                    }
                    if !killed && firstGenerationAcks == 80 && held.count >= 10 {
                        killed = true
                        try await LiveBroker.closeConnection(named: try #require(endpoint.connectionName))
                        #expect(try await LiveBroker.eventually { consumer.generation >= 2 })
                    }
                    if killed {
                        // Held deliveries and those still buffered from the dropped connection: all stale.
                        for stale in held {
                            #expect(!consumer.isCurrent(stale))
                            do {
                                try await consumer.ack(stale)
                                Issue.record("a delivery of the dropped connection was acked")
                            } catch let error as AMQPError {
                                #expect(error.code == .staleDelivery)
                                staleRefusals += 1
                            }
                        }
                        staleAttempts += held.count
                        held.removeAll()
                    }
                    continue
                }
                #expect(consumer.isCurrent(delivery))
                try await consumer.ack(delivery)
                acked[id, default: 0] += 1
                if acked.count == count { break }
            }

            #expect(killed)
            #expect(staleRefusals == staleAttempts && staleRefusals >= 10)
            #expect(Set(acked.keys) == Set((0..<count).map(String.init)))
            #expect(acked.values.allSatisfy { $0 == 1 })  // every message acked exactly once
            #expect(consumer.generation == 2)  // no further channel error (e.g. PRECONDITION_FAILED on a bad ack)

            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            #expect(try await inspector.status(ofQueue: queue) == .init(messageCount: 0, consumerCount: 1))
            await consumer.close()
            await publisher.close()
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }

    @Test func publisherReconnectsAndRepublishesSoEveryMessageArrives() async throws {
        let queue = LiveBroker.uniqueName("publisher-drop")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, quorum: true)])
            let endpoint = try LiveBroker.worker("publisher")
            let publisher = try await AMQPPublisher(
                endpoint: endpoint, topology: topology, confirmWindow: 128,
                reconnect: .init(initialDelay: .milliseconds(50), maximumDelay: .seconds(1)), logger: LiveBroker.logger)
            let killed = Flag()

            // Publish continuously (512 in flight: some are unconfirmed when the connection drops), then 1000 more.
            let total: Int = try await withThrowingTaskGroup(of: AMQPPublishOutcome?.self) { group in
                group.addTask {
                    try await Task.sleep(for: .milliseconds(300))
                    try await LiveBroker.closeConnection(named: try #require(endpoint.connectionName))
                    killed.value.store(true, ordering: .sequentiallyConsistent)
                    return nil
                }
                var sent = 0
                var stopAt = Int.max
                var inFlight = 0
                while sent < stopAt && sent < 60_000 {
                    if inFlight >= 512, let outcome = try await group.next() {
                        if let outcome { #expect(outcome == .confirmed) }
                        inFlight -= 1
                    }
                    let i = sent
                    group.addTask {
                        try await publisher.publish(routingKey: queue, body: Array("\(i)".utf8), properties: .init(messageID: "\(i)"))
                    }
                    sent += 1
                    inFlight += 1
                    if stopAt == .max && killed.value.load(ordering: .sequentiallyConsistent) { stopAt = sent + 1000 }
                }
                for try await outcome in group { if let outcome { #expect(outcome == .confirmed) } }
                return sent
            }
            let statistics = publisher.statistics
            #expect(statistics.connections == 2)
            #expect(statistics.confirmed == UInt64(total))
            // Whether any publish was unconfirmed at the moment of the close depends on timing (on an idle
            // machine the broker may have confirmed everything it read); the guarantees are the ones below.
            print("[publisher-drop] published \(total), republished \(statistics.republished)")
            await publisher.close()

            // Every message is in the queue (duplicates allowed, loss not).
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("verify"), queue: queue, prefetch: 500, topology: topology, logger: LiveBroker.logger)
            var seen = Set<Int>()
            var received = 0
            for try await delivery in consumer.deliveries {
                received += 1
                seen.insert(Int(try #require(delivery.properties.messageID))!)
                try await consumer.ack(delivery)
                if seen.count == total { break }
            }
            #expect(seen == Set(0..<total))
            #expect(received >= total)
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            let duplicates = try await inspector.status(ofQueue: queue).messageCount
            print("[publisher-drop] received \(received) before all ids were seen; \(duplicates) duplicates left in the queue")
            await consumer.close()
            await publisher.close()
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }
}
