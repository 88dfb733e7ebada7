import Foundation
import Logging
import Synchronization
import TierflowAMQP
import TierflowPostgres

/// A subscriber to the results exchange, as an application would be: counts the result messages it
/// receives per message id (the query id). A message seen twice is a republish after a crash between
/// publish and ack — allowed by at-least-once delivery, and meant to be de-duplicated by message id — so the
/// suite reports it but does not count it as a duplicated query (the `results` table is the record).
/// A result message whose content (tier, ended_by, answer) differs from the stored result is a conflict:
/// a subscriber was told something the record does not say. That fails the scenario.
final class ResultTap: Sendable {
    private final class Counts: Sendable {
        let byId = Mutex<[String: Int]>([:])
        /// The distinct contents received per message id.
        let contents = Mutex<[String: Set<Content>]>([:])
    }

    /// What a result says, for comparing copies with the stored result.
    struct Content: Hashable, Sendable {
        var tier: String
        var endedBy: String
        var answer: String
    }

    private let consumer: AMQPConsumer
    private let counts = Counts()
    private let task: Task<Void, Never>
    let queue: String

    /// Declares a durable queue bound to the results exchange (it survives a broker restart) and consumes it.
    init(endpoint: AMQPEndpoint, namespace: String, resultsExchange: String, logger: Logger) async throws {
        queue = "\(namespace).faults-tap"
        let topology = AMQPTopology(
            exchanges: [.init(name: resultsExchange, kind: .topic)], queues: [.init(name: queue)],
            bindings: [.init(queue: queue, exchange: resultsExchange, routingKey: "#")])
        let consumer = try await AMQPConsumer(
            endpoint: endpoint.named("faults-tap"), queue: queue, prefetch: 256, topology: topology, logger: logger)
        self.consumer = consumer
        let counts = self.counts
        task = Task {
            do {
                for try await delivery in consumer.deliveries {
                    let id = delivery.properties.messageID ?? "?"
                    counts.byId.withLock { $0[id, default: 0] += 1 }
                    if let object = try? JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any] {
                        let content = Content(
                            tier: object["tier"] as? String ?? "", endedBy: object["ended_by"] as? String ?? "",
                            answer: object["answer"] as? String ?? "")
                        counts.contents.withLock { _ = $0[id, default: []].insert(content) }
                    }
                    try? consumer.enqueueAck(delivery)
                }
            } catch {}
        }
    }

    /// Result messages received, and how many message ids came more than once.
    var summary: (messages: Int, repeated: Int) {
        counts.byId.withLock { counts in (counts.values.reduce(0, +), counts.values.filter { $0 > 1 }.count) }
    }

    /// Query ids with a result message that says something other than their `results` row.
    func conflicts(on database: PostgresConnection) async throws -> [String] {
        let contents = counts.contents.withLock { $0 }
        guard !contents.isEmpty else { return [] }
        let rows = try await database.query(
            "SELECT query_id, coalesce(tier, '') AS tier, ended_by, answer FROM results WHERE query_id = ANY($1)",
            [.array(contents.keys.map { .string($0) })])
        var conflicting: [String] = []
        for row in rows {
            guard let id = try row.string("query_id"), let seen = contents[id] else { continue }
            let stored = Content(tier: try row.string("tier") ?? "", endedBy: try row.string("ended_by") ?? "", answer: try row.string("answer") ?? "")
            if seen != [stored] { conflicting.append(id) }
        }
        return conflicting.sorted()
    }

    func close() async {
        await consumer.close()
        task.cancel()
    }
}
