import ArgumentParser
import Foundation
import Synchronization
import TierflowAMQP
import TierflowCore
import TierflowPipeline
import TierflowServices

/// The full pipeline as separate processes (Layer 0, router, tier workers, evaluator), every hop logged
/// to PostgreSQL, the simulated backend with no latency: maximum sustained queries/s, or end-to-end
/// latency at a fixed rate.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline", abstract: "Full-pipeline throughput and latency.")

    @Option(help: "Where the worker executables are.") var bin: String
    @Option(help: "Queries for the maximum-throughput run (0 = skip).") var messages = 20_000
    @Option(help: "Fixed rates for latency runs, comma-separated (queries/s).") var rates = "100,300,1000"
    @Option(help: "Seconds per fixed-rate run.") var duration = 10
    @Option(help: "Replicas of the first tier's worker.") var replicas = 1
    @Option(help: "Simulated latency of the first tier, ms (0 = none).") var latency = 0.0
    @Option(help: "queues.prefetch of the pipeline (the shipped default).") var prefetch = 256
    @Option(help: "Concurrent backend calls per first-tier worker.") var concurrency = 256
    @Flag(help: "Every process records metrics and serves /metrics (to measure their cost).") var metrics = false

    func run() async throws {
        if messages > 0 {
            let run = try await PipelineRun.start(
                bin: bin, replicas: replicas, latency: latency, prefetch: prefetch, concurrency: concurrency, metrics: metrics)
            let outcome = try await run.maximum(count: messages)
            await run.stop()
            print(String(
                format: "pipeline max: %d queries, %d answered in %.2f s = %.0f queries/s sustained (publish %.0f/s); latency p50 %.1f ms p99 %.1f ms",
                messages, outcome.received, outcome.seconds, outcome.rate, outcome.publishRate, outcome.p50, outcome.p99))
            Bench.emit([
                "bench": "pipeline-max", "messages": messages, "received": outcome.received, "seconds": outcome.seconds,
                "rate": outcome.rate, "replicas": replicas, "latency_ms": latency, "concurrency": concurrency,
                "p50_ms": outcome.p50, "p99_ms": outcome.p99, "metrics": metrics,
            ])
        }
        for rate in rates.split(separator: ",").compactMap({ Double($0) }) where rate > 0 {
            let run = try await PipelineRun.start(
                bin: bin, replicas: replicas, latency: latency, prefetch: prefetch, concurrency: concurrency, metrics: metrics)
            let outcome = try await run.fixedRate(rate, seconds: duration)
            await run.stop()
            print(String(
                format: "pipeline at %.0f q/s for %d s: %d/%d answered, achieved %.0f q/s; end-to-end p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms",
                rate, duration, outcome.received, outcome.sent, outcome.rate, outcome.p50, outcome.p99, outcome.p999))
            Bench.emit([
                "bench": "pipeline-rate", "target_rate": rate, "seconds": duration, "sent": outcome.sent, "received": outcome.received,
                "rate": outcome.rate, "p50_ms": outcome.p50, "p99_ms": outcome.p99, "p999_ms": outcome.p999, "replicas": replicas,
            ])
        }
    }
}

/// One pipeline under test: its processes, a publisher and a subscriber to its results.
final class PipelineRun: Sendable {
    struct Outcome {
        var sent = 0
        var received = 0
        var seconds = 0.0
        var rate = 0.0
        var publishRate = 0.0
        var p50 = 0.0
        var p99 = 0.0
        var p999 = 0.0
    }

    let config: PipelineConfig
    let processes: WorkerProcessGroup
    let publisher: AMQPPublisher
    let results: AMQPConsumer
    let admin: AMQPQueueInspector
    let resultsQueue: String
    private let sendTimes = Mutex<[String: ContinuousClock.Instant]>([:])

    static func start(
        bin: String, replicas: Int, latency: Double, prefetch: Int, concurrency: Int, batchPrefetch: Int = 8,
        metrics: Bool = false
    ) async throws -> PipelineRun {
        let namespace = Bench.uniqueNamespace("p")
        let yaml = """
            namespace: \(namespace)
            broker: {url: "\(try Bench.environment("TIERFLOW_AMQP_URL"))", admin_url: "\(try Bench.environment("TIERFLOW_AMQP_ADMIN_URL"))", confirm_window: 512}
            database: {url: "\(try Bench.environment("TIERFLOW_DATABASE_URL"))", owner_url: "\(try Bench.environment("TIERFLOW_DATABASE_OWNER_URL"))"}
            queues: {prefetch: \(prefetch), batch_prefetch: \(batchPrefetch)}
            ingest: {flood_window_seconds: 0}
            router: {quality_target: 0.3}
            tiers:
              - {name: edge, backend: simulated, model: bench-small, price: {input: 0, output: 0}, max_concurrency: \(concurrency), confidence_threshold: 0.5, simulated: {skill: 1, latency_ms: \(latency)}}
              - {name: gpu, backend: simulated, model: bench-big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.5, simulated: {skill: 1}}
              - {name: cloud, backend: simulated, model: bench-frontier, price: {input: 15, output: 75}, confidence_threshold: 0, simulated: {skill: 1}}
            """
        let config = try PipelineConfig.parse(yaml: yaml, file: "bench.yaml")
        return try await PipelineRun(config: config, yaml: yaml, bin: bin, replicas: replicas, metrics: metrics)
    }

    private init(config: PipelineConfig, yaml: String, bin: String, replicas: Int, metrics: Bool) async throws {
        self.config = config
        let topology = PipelineTopology(config: config)
        admin = try await AMQPQueueInspector(endpoint: try AMQPEndpoint(url: config.broker.adminURL.value).named("bench-admin"), logger: Bench.logger)
        try await admin.declare(topology.all)
        processes = try WorkerProcessGroup(binDirectory: URL(fileURLWithPath: bin), configYAML: yaml)
        // With metrics, each process serves /metrics on a port of its own (ops.metrics_port, via --metrics-port).
        let base = metrics ? Int.random(in: 20_000...40_000) : 0
        var next = 0
        func port() -> Int? {
            guard metrics else { return nil }
            next += 1
            return base + next
        }
        try processes.start("layer0", metricsPort: port())
        try processes.start("router", metricsPort: port())
        try processes.start("evaluator", metricsPort: port())
        for replica in 0..<replicas { try processes.start("worker", tier: "edge", replica: replica, metricsPort: port()) }
        try processes.start("worker", tier: "gpu", metricsPort: port())
        try processes.start("worker", tier: "cloud", metricsPort: port())
        let endpoint = try AMQPEndpoint(url: config.broker.url.value)
        resultsQueue = "\(config.namespace).bench-results"
        let resultsTopology = AMQPTopology(
            queues: [.init(name: resultsQueue, quorum: true)],
            bindings: [.init(queue: resultsQueue, exchange: topology.resultsExchange, routingKey: "result.#")])
        results = try await AMQPConsumer(
            endpoint: endpoint.named("bench-results"), queue: resultsQueue, prefetch: 512, topology: resultsTopology, logger: Bench.logger)
        publisher = try await AMQPPublisher(endpoint: endpoint.named("bench-publisher"), topology: topology.all, confirmWindow: 1024, logger: Bench.logger)
        try await Task.sleep(for: .seconds(2))  // every worker connects and subscribes
    }

    /// Stops the processes and deletes the queues; the processes' logs are deleted too, unless `keepingLogs`
    /// or a process failed.
    func stop(keepingLogs: Bool = false) async {
        _ = try? await processes.terminateAll(within: .seconds(20))
        await results.close()
        await publisher.close()
        let topology = PipelineTopology(config: config).all
        try? await admin.deleteQueue(resultsQueue)
        for queue in topology.queues { try? await admin.deleteQueue(queue.name) }
        for exchange in topology.exchanges { try? await admin.deleteExchange(exchange.name) }
        await admin.close()
        if keepingLogs || !processes.removeTemporaryDirectory() {
            print("process logs: \(processes.directory.path)")
        }
    }

    private func send(_ index: Int) async throws {
        let eventId = "\(config.namespace)-\(index)"
        let event = FaultEvent(
            eventId: eventId, site: "bench", line: "L1", asset: "P-\(index % 97)", assetClass: "pump", tag: "PIR\(100 + index % 50)",
            alarmType: "L", faultCode: nil, severity: .low, message: "PUMP DISCH PRESS LOW ALM", values: ["pressure_bar": 2.5],
            timestamp: Timestamp.format(Date()))
        sendTimes.withLock { $0[eventId] = .now }
        _ = try await publisher.publish(
            exchange: config.ingest.exchange, routingKey: "scada", body: EnvelopeCodec().encode(event),
            properties: AMQPMessageProperties(contentType: "application/json", type: "fault_event"))
    }

    /// Collects results until `count` arrived or `timeout` passed; returns latencies (ms) by arrival.
    private func collect(count: Int, timeout: Duration) async throws -> [(ContinuousClock.Instant, Double)] {
        let codec = EnvelopeCodec()
        var arrivals: [(ContinuousClock.Instant, Double)] = []
        let deadline = ContinuousClock.now + timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [results] in
                try await Task.sleep(until: deadline)
                await results.stopConsuming()
            }
            for try await delivery in results.deliveries {
                let now = ContinuousClock.now
                try? results.enqueueAck(delivery)
                guard let result = try? codec.decode(ResultMessage.self, from: delivery.body),
                    let eventId = result.linkedEvents?.first,
                    let sent = sendTimes.withLock({ $0.removeValue(forKey: eventId) })
                else { continue }
                arrivals.append((now, Bench.seconds(now - sent) * 1000))
                if arrivals.count == count { break }
            }
            group.cancelAll()
        }
        return arrivals
    }

    func maximum(count: Int) async throws -> Outcome {
        let started = ContinuousClock.now
        async let arrivals = collect(count: count, timeout: .seconds(300))
        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<count {
                group.addTask { try await self.send(index) }
                if index % 256 == 255 { await Task.yield() }
            }
        }
        let publishSeconds = Bench.seconds(ContinuousClock.now - started)
        let done = try await arrivals
        var outcome = Outcome(sent: count, received: done.count)
        // Sustained rate: from the 10% to the 90% arrival, past the start and the tail.
        if done.count >= 10 {
            let low = done[done.count / 10].0, high = done[done.count * 9 / 10].0
            outcome.rate = Double(done.count * 8 / 10) / Bench.seconds(high - low)
        }
        outcome.seconds = done.last.map { Bench.seconds($0.0 - started) } ?? 0
        outcome.publishRate = Double(count) / publishSeconds
        outcome.p50 = Bench.quantile(done.map(\.1), 0.5)
        outcome.p99 = Bench.quantile(done.map(\.1), 0.99)
        return outcome
    }

    func fixedRate(_ rate: Double, seconds: Int) async throws -> Outcome {
        let total = Int(rate * Double(seconds))
        let started = ContinuousClock.now
        async let arrivals = collect(count: total, timeout: .seconds(seconds + 30))
        var pacer = Pacer(perSecond: rate)
        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<total {
                try await pacer.wait()
                group.addTask { try await self.send(index) }
            }
        }
        let done = try await arrivals
        // Skip the first second: connections and caches warming up.
        let warm = done.filter { Bench.seconds($0.0 - started) > 1 }.map(\.1)
        var outcome = Outcome(sent: total, received: done.count)
        if let first = done.first?.0, let last = done.last?.0, last > first {
            outcome.rate = Double(done.count - 1) / Bench.seconds(last - first)
        }
        outcome.p50 = Bench.quantile(warm, 0.5)
        outcome.p99 = Bench.quantile(warm, 0.99)
        outcome.p999 = Bench.quantile(warm, 0.999)
        return outcome
    }
}
