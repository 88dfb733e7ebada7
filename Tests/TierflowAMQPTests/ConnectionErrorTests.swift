import Foundation
import Testing

@testable import TierflowAMQP

@Suite("Connection errors (live broker)", .enabled(if: LiveBroker.enabled))
struct ConnectionErrorTests {
    @Test func wrongPasswordIsAClearAuthenticationError() async throws {
        var endpoint = try LiveBroker.worker("badpass")
        endpoint.password = "definitely-wrong-password"
        let started = ContinuousClock.now
        let error = try await #require(throws: AMQPError.self) {
            _ = try await AMQPPublisher(endpoint: endpoint, logger: LiveBroker.logger)
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("tierflow_worker"))
        #expect(!error.description.contains("definitely-wrong-password"))
        #expect(ContinuousClock.now - started < .seconds(60))  // no hang (a loaded broker can take ~20 s to refuse)

        let consumerError = try await #require(throws: AMQPError.self) {
            _ = try await AMQPConsumer(endpoint: endpoint, queue: "tierflow.none", logger: LiveBroker.logger)
        }
        #expect(consumerError.code == .authenticationFailed)
    }

    @Test func refusedConnectionIsAClearConnectError() async throws {
        var endpoint = try LiveBroker.worker("refused")
        endpoint.port = 1
        let error = try await #require(throws: AMQPError.self) {
            _ = try await AMQPQueueInspector(endpoint: endpoint, logger: LiveBroker.logger)
        }
        #expect(error.code == .connectionFailed)
        #expect(error.message.contains("127.0.0.1:1"))
    }

    @Test func unknownVirtualHostIsRefused() async throws {
        var endpoint = try LiveBroker.worker("vhost")
        endpoint.virtualHost = "no-such-vhost"
        let error = try await #require(throws: AMQPError.self) {
            _ = try await AMQPPublisher(endpoint: endpoint, logger: LiveBroker.logger)
        }
        #expect(error.code == .accessRefused)
        #expect(error.message.contains("no-such-vhost"))
    }

    @Test func leastPrivilegeUserCannotDeclareOutsideTierflowNames() async throws {
        let error = try await #require(throws: AMQPError.self) {
            _ = try await AMQPPublisher(
                endpoint: try LiveBroker.worker("perm"), topology: .init(queues: [.init(name: "forbidden.queue")]),
                logger: LiveBroker.logger)
        }
        #expect(error.code == .accessRefused)
        #expect(error.replyCode == 403)
        #expect(error.context["amqp.queue"] == "forbidden.queue")
    }

    @Test func missingQueueForConsumerIsNotFound() async throws {
        let name = LiveBroker.uniqueName("absent")
        let existing = LiveBroker.uniqueName("present")
        try await LiveBroker.withCleanup(queues: [name, existing]) {
            let error = try await #require(throws: AMQPError.self) {
                _ = try await AMQPConsumer(endpoint: try LiveBroker.worker("absent"), queue: name, logger: LiveBroker.logger)
            }
            #expect(error.code == .notFound)

            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            let inspectError = try await #require(throws: AMQPError.self) { _ = try await inspector.status(ofQueue: name) }
            #expect(inspectError.code == .notFound)
            // The inspector reopened its channel and still works.
            try await inspector.declare(.init(queues: [.init(name: existing, durable: false)]))
            #expect(try await inspector.status(ofQueue: existing) == .init(messageCount: 0, consumerCount: 0))
            await inspector.close()
        }
    }
}
