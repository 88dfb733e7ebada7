import Foundation
import Testing

@testable import TierflowAMQP

@Suite("AMQPPublisher (live broker)", .enabled(if: LiveBroker.enabled))
struct PublisherTests {
    @Test func unroutableMandatoryPublishIsReturnedAndRoutableIsConfirmed() async throws {
        let exchange = LiveBroker.uniqueName("direct")
        let queue = LiveBroker.uniqueName("routed")
        try await LiveBroker.withCleanup(queues: [queue], exchanges: [exchange]) {
            let topology = AMQPTopology(
                exchanges: [.init(name: exchange, kind: .direct, durable: false, autoDelete: false)],
                queues: [.init(name: queue, durable: false)],
                bindings: [.init(queue: queue, exchange: exchange, routingKey: "known")])
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)

            let returned = try await publisher.publish(
                exchange: exchange, routingKey: "unknown", body: Array("nowhere".utf8),
                properties: .init(messageID: "r-1"), mandatory: true)
            #expect(returned == .returned(replyCode: 312, replyText: "NO_ROUTE"))

            let routed = try await publisher.publish(
                exchange: exchange, routingKey: "known", body: Array("somewhere".utf8), mandatory: true)
            #expect(routed == .confirmed)

            // Without `mandatory` the broker drops an unroutable message silently and still confirms it.
            let dropped = try await publisher.publish(exchange: exchange, routingKey: "unknown", body: [1])
            #expect(dropped == .confirmed)

            // Interleaved: the return must be attributed to the unroutable message, not its neighbours.
            async let a = publisher.publish(exchange: exchange, routingKey: "known", body: [1], mandatory: true)
            async let b = publisher.publish(exchange: exchange, routingKey: "unknown", body: [2], mandatory: true)
            async let c = publisher.publish(exchange: exchange, routingKey: "known", body: [3], mandatory: true)
            let (first, second, third) = try await (a, b, c)
            #expect(first == .confirmed)
            #expect(second == .returned(replyCode: 312, replyText: "NO_ROUTE"))
            #expect(third == .confirmed)
            #expect(publisher.statistics.returned == 2)

            await publisher.close()
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("cleanup"), logger: LiveBroker.logger)
            #expect(try await inspector.status(ofQueue: queue).messageCount == 3)
            try await inspector.deleteQueue(queue)
            try await inspector.deleteExchange(exchange)
            await inspector.close()
        }
    }

    @Test func concurrentPublishesAreAllConfirmedThroughTheWindow() async throws {
        let queue = LiveBroker.uniqueName("window")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("pub"), topology: .init(queues: [.init(name: queue)]), confirmWindow: 64,
                logger: LiveBroker.logger)
            let count = 2000
            let outcomes = try await withThrowingTaskGroup(of: AMQPPublishOutcome.self) { group in
                for i in 0..<count {
                    group.addTask { try await publisher.publish(routingKey: queue, body: Array("w\(i)".utf8)) }
                }
                return try await group.reduce(into: [AMQPPublishOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.count == count)
            #expect(outcomes.allSatisfy { $0 == .confirmed })
            #expect(publisher.statistics.published == UInt64(count))
            #expect(publisher.statistics.confirmed == UInt64(count))
            await publisher.close()

            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            #expect(try await inspector.status(ofQueue: queue).messageCount == count)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }

    @Test func publishToAMissingExchangeFailsThatMessageOnlyAndThePublisherCarriesOn() async throws {
        let queue = LiveBroker.uniqueName("after-error")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let publisher = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("pub"), topology: .init(queues: [.init(name: queue)]), logger: LiveBroker.logger)
            let missing = LiveBroker.uniqueName("missing")
            let error = try await #require(throws: AMQPError.self) {
                _ = try await publisher.publish(exchange: missing, routingKey: "x", body: [1])
            }
            #expect(error.code == .notFound)
            #expect(error.replyCode == 404)
            #expect(error.message.contains(missing))
            #expect(try await publisher.publish(routingKey: queue, body: [2]) == .confirmed)

            // A bad publish among good ones in flight: only it fails; the good ones (republished on the
            // reopened channel if the close caught them unconfirmed) are all confirmed.
            let outcomes = await withTaskGroup(of: (Bool, Result<AMQPPublishOutcome, AMQPError>).self) { group in
                for i in 0..<200 {
                    let bad = i == 100
                    group.addTask {
                        do {
                            let outcome = try await publisher.publish(
                                exchange: bad ? missing : "", routingKey: bad ? "x" : queue, body: [UInt8(i & 0xFF)],
                                properties: .init(messageID: "\(i)"))
                            return (bad, .success(outcome))
                        } catch {
                            return (bad, .failure((error as? AMQPError) ?? AMQPError(code: .protocolError, message: "\(error)")))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for (bad, result) in outcomes {
                switch result {
                case .success(let outcome): #expect(!bad && outcome == .confirmed)
                case .failure(let error): #expect(bad && error.code == .notFound)
                }
            }
            #expect(outcomes.count == 200)
            print("[missing-exchange] republished after the channel error: \(publisher.statistics.republished)")
            await publisher.close()

            // After close, publishing is refused with a clear error.
            let closed = try await #require(throws: AMQPError.self) {
                _ = try await publisher.publish(routingKey: queue, body: [3])
            }
            #expect(closed.code == .closed)

            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            // 1 + 199 good messages; republishing may add duplicates, never lose one.
            #expect(try await inspector.status(ofQueue: queue).messageCount >= 200)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }
}
