import ArgumentParser
import Foundation
import TierflowAMQP

/// A raw 5-hop RabbitMQ chain: messages of the pipeline's size, persistent quorum queues, publisher confirms,
/// manual acks and prefetch as the pipeline, but no logic and no database — the ceiling the pipeline is compared to.
struct RawChainBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "raw-chain", abstract: "Throughput of a raw N-hop queue chain.")

    @Option(help: "Messages to send.") var messages = 20_000
    @Option(help: "Queue hops.") var hops = 5
    @Option(help: "Message size in bytes (the pipeline's stages publish 540–1,230 bytes).") var size = 1200
    @Option(help: "Prefetch of each relay (the pipeline's default queues.prefetch).") var prefetch = 256
    @Option(help: "Give up after this many seconds.") var timeout = 120
    @Flag(help: "Enter and leave through topic exchanges, as the pipeline does (key `scada` bound `#`; key `result.scada.site-1.asset-1` bound `result.#`).")
    var topicEnds = false

    func run() async throws {
        let url = try Bench.environment("TIERFLOW_AMQP_URL")
        let namespace = Bench.uniqueNamespace("raw")
        let queues = (1...hops).map { "\(namespace).q\($0)" }
        let ends = topicEnds ? Ends(namespace: namespace, first: queues[0], last: queues[hops - 1]) : nil
        let topology = AMQPTopology(
            exchanges: ends?.exchanges ?? [], queues: queues.map { .init(name: $0, quorum: true, deliveryLimit: 5) },
            bindings: ends?.bindings ?? [])
        let endpoint = try AMQPEndpoint(url: url)
        let admin = try await AMQPQueueInspector(endpoint: endpoint.named("bench-raw-admin"), logger: Bench.logger)
        try await admin.declare(topology)
        do {
            try await measure(queues: queues, topology: topology, endpoint: endpoint, ends: ends)
        } catch {
            await Self.delete(queues, ends, admin)
            throw error
        }
        await Self.delete(queues, ends, admin)
    }

    /// Deletes the chain's queues before the process exits (a `defer` with a detached task would not run).
    private static func delete(_ queues: [String], _ ends: Ends?, _ admin: AMQPQueueInspector) async {
        for queue in queues { try? await admin.deleteQueue(queue) }
        for exchange in ends?.exchanges ?? [] { try? await admin.deleteExchange(exchange.name) }
        await admin.close()
    }

    /// Topic exchanges at the chain's two ends, routed like the pipeline's ingest and results exchanges.
    struct Ends {
        let ingest: String
        let results: String
        let exchanges: [AMQPTopology.Exchange]
        let bindings: [AMQPTopology.Binding]
        static let ingestKey = "scada"
        static let resultsKey = "result.scada.site-1.asset-1"

        init(namespace: String, first: String, last: String) {
            ingest = "\(namespace).ingest"
            results = "\(namespace).results"
            exchanges = [.init(name: ingest, kind: .topic), .init(name: results, kind: .topic)]
            bindings = [
                .init(queue: first, exchange: ingest, routingKey: "#"), .init(queue: last, exchange: results, routingKey: "result.#"),
            ]
        }
    }

    private func measure(queues: [String], topology: AMQPTopology, endpoint: AMQPEndpoint, ends: Ends?) async throws {
        // One relay per hop between queues: consume q_k, publish to q_k+1 and wait for the confirm, then ack.
        var relays: [(AMQPConsumer, AMQPPublisher)] = []
        for index in 0..<(hops - 1) {
            let consumer = try await AMQPConsumer(
                endpoint: endpoint.named("bench-raw-c\(index)"), queue: queues[index], prefetch: prefetch, topology: topology,
                logger: Bench.logger)
            let publisher = try await AMQPPublisher(endpoint: endpoint.named("bench-raw-p\(index)"), topology: topology, logger: Bench.logger)
            relays.append((consumer, publisher))
        }
        let sink = try await AMQPConsumer(
            endpoint: endpoint.named("bench-raw-sink"), queue: queues[hops - 1], prefetch: prefetch, topology: topology, logger: Bench.logger)
        let source = try await AMQPPublisher(endpoint: endpoint.named("bench-raw-source"), topology: topology, logger: Bench.logger)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let count = messages
        let (firstExchange, firstKey) = ends.map { ($0.ingest, Ends.ingestKey) } ?? ("", queues[0])

        let started = ContinuousClock.now
        let elapsed = try await withThrowingTaskGroup(of: Duration?.self) { group in
            for (index, (consumer, publisher)) in relays.enumerated() {
                let (exchange, key) =
                    if index == relays.count - 1, let ends { (ends.results, Ends.resultsKey) } else { ("", queues[index + 1]) }
                group.addTask {
                    try await withThrowingDiscardingTaskGroup { inner in
                        for try await delivery in consumer.deliveries {
                            inner.addTask {
                                _ = try await publisher.publish(
                                    exchange: exchange, routingKey: key, body: delivery.body, properties: delivery.properties)
                                try consumer.enqueueAck(delivery)
                            }
                        }
                    }
                    return nil
                }
            }
            group.addTask {
                try await withThrowingDiscardingTaskGroup { inner in
                    for i in 0..<count {
                        inner.addTask {
                            _ = try await source.publish(
                                exchange: firstExchange, routingKey: firstKey, body: body, properties: .init(messageID: "m\(i)"))
                        }
                        if i % 512 == 511 { await Task.yield() }
                    }
                }
                return nil
            }
            group.addTask {
                var received = 0
                for try await delivery in sink.deliveries {
                    try sink.enqueueAck(delivery)
                    received += 1
                    if received == count { break }
                }
                return ContinuousClock.now - started
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                throw BenchError("raw chain did not finish within \(timeout) s")
            }
            var result: Duration?
            while let value = try await group.next() {
                if let value { result = value; break }
            }
            group.cancelAll()
            return result!
        }
        for (consumer, publisher) in relays {
            await consumer.close()
            await publisher.close()
        }
        await sink.close()
        await source.close()
        let rate = Double(count) / Bench.seconds(elapsed)
        print(
            String(format: "raw %d-hop chain: %d messages of %d bytes in %.2f s = %.0f msg/s end to end", hops, count, size, Bench.seconds(elapsed), rate)
                + (ends == nil ? "" : " (entering and leaving through topic exchanges)"))
        Bench.emit([
            "bench": "raw-chain", "hops": hops, "messages": count, "bytes": size, "seconds": Bench.seconds(elapsed), "rate": rate,
            "topic_ends": ends != nil,
        ])
    }
}
