import ArgumentParser
import Foundation
import Synchronization
import TierflowAMQP
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// A batch streaming through the pipeline while live events keep arriving: live end-to-end p99 with the
/// pipeline idle, then while `tierflow batch run` works through `--file`; the peak resident memory of every
/// process (workers and the batch command); the batch's own rate.
struct BatchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batch", abstract: "Live latency and memory while a batch runs.")

    @Option(help: "Where the executables are.") var bin: String
    @Option(help: "The export to run (CSV with id,timestamp,tag,type,description).") var file: String
    @Option(help: "Live events per second during both measurements.") var rate = 50.0
    @Option(help: "Seconds per live measurement.") var duration = 15
    @Option(help: "Stop waiting for the batch after this many seconds.") var batchTimeout = 900
    @Option(help: "queues.batch_prefetch of every stage.") var batchPrefetch = 8

    func run() async throws {
        let run = try await PipelineRun.start(
            bin: bin, replicas: 1, latency: 0, prefetch: 64, concurrency: 256, batchPrefetch: batchPrefetch)
        let names = ["layer0", "router", "evaluator", "worker-edge-0", "worker-gpu", "worker-cloud"]
        var peaks: [String: Int] = [:]
        func sample(_ name: String, _ pid: Int32?) {
            guard let pid, let kb = Self.peakKilobytes(pid) else { return }
            peaks[name] = max(peaks[name] ?? 0, kb)
        }
        let idle = try await LiveProbe.measure(run, rate: rate, seconds: duration, label: "idle")
        print(String(format: "live idle: %d/%d answered, p50 %.1f ms, p99 %.1f ms", idle.received, idle.sent, idle.p50, idle.p99))

        let id = "bench-\(UInt32.random(in: 0...UInt32.max))"
        let batch = Process()
        batch.executableURL = URL(fileURLWithPath: bin).appendingPathComponent("tierflow")
        batch.arguments = [
            "batch", "run", file, "--config", run.processes.configPath, "--id", id, "--progress", "lines", "--progress-interval", "5",
            "--log-level", "error", "--map", "event_id=id", "--map", "alarm_type=type", "--map", "message=description",
            "--map", "asset=unit", "--set", "site=bench", "--set", "severity=medium",
        ]
        let log = run.processes.directory.appendingPathComponent("batch.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        batch.standardOutput = handle
        batch.standardError = handle
        let database = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: run.config.database.url.value), logger: Bench.logger)
        let started = ContinuousClock.now
        try batch.run()
        // Measure live traffic once the batch lane has work.
        var queued = 0
        while queued < 500 && batch.isRunning {
            try await Task.sleep(for: .milliseconds(200))
            sample("batch", batch.processIdentifier)
            queued = try await database.query("SELECT coalesce((SELECT queries::int FROM batches WHERE id = $1), 0) AS n", [.string(id)])
                .first?.int("n") ?? 0
        }
        let sampler = Task {
            var local: [String: Int] = [:]
            while !Task.isCancelled && batch.isRunning {
                if let kb = Self.peakKilobytes(batch.processIdentifier) { local["batch"] = max(local["batch"] ?? 0, kb) }
                try? await Task.sleep(for: .milliseconds(500))
            }
            return local
        }
        let busy = try await LiveProbe.measure(run, rate: rate, seconds: duration, label: "busy")
        let during = try await database.query("SELECT done_queries::int AS n, lines_read::int AS l FROM batches WHERE id = $1", [.string(id)])
        print(String(format: "live during batch: %d/%d answered, p50 %.1f ms, p99 %.1f ms", busy.received, busy.sent, busy.p50, busy.p99))
        let deadline = ContinuousClock.now + .seconds(batchTimeout)
        while batch.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            sample("batch", batch.processIdentifier)
            for name in names { sample(name, run.processes.processIdentifier(name)) }
        }
        let finished = !batch.isRunning
        if !finished { batch.interrupt() }
        batch.waitUntilExit()
        let seconds = Bench.seconds(ContinuousClock.now - started)
        for (name, kb) in await sampler.value { peaks[name] = max(peaks[name] ?? 0, kb) }
        for name in names { sample(name, run.processes.processIdentifier(name)) }
        let statusRows = try await database.query(
            "SELECT lines_read::bigint AS lines, queries::bigint AS queries, done_lines::bigint AS done, state FROM batches WHERE id = $1",
            [.string(id)])
        await database.close()
        await run.stop(keepingLogs: !finished || batch.terminationStatus != 0)
        let row = statusRows.first
        let lines = try row?.int("lines") ?? 0
        let queries = try row?.int("queries") ?? 0
        let done = try row?.int("done") ?? 0
        let state = try row?.string("state") ?? "?"
        print("batch \(id): \(state), \(lines) lines read, \(done) answered, \(queries) distinct queries in \(String(format: "%.1f", seconds)) s (exit \(batch.terminationStatus))")
        print("peak RSS (MB): " + peaks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value / 1024)" }.joined(separator: ", "))
        Bench.emit([
            "bench": "batch", "live_rate": rate, "seconds": duration, "idle_p50_ms": idle.p50, "idle_p99_ms": idle.p99,
            "idle_received": idle.received, "idle_sent": idle.sent, "busy_p50_ms": busy.p50, "busy_p99_ms": busy.p99,
            "busy_received": busy.received, "busy_sent": busy.sent, "batch_lines": lines, "batch_done": done,
            "batch_queries": queries, "batch_state": state, "batch_prefetch": batchPrefetch, "batch_seconds": seconds, "batch_finished": finished,
            "batch_done_at_busy_end": try during.first?.int("n") ?? 0, "batch_read_at_busy_end": try during.first?.int("l") ?? 0,
            "peak_rss_mb": peaks.mapValues { $0 / 1024 },
        ])
    }

    /// Peak resident set (VmHWM) of a live process, in KiB.
    static func peakKilobytes(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}

/// Live SCADA events at a fixed rate, each timed from publish to its result, on a results queue of its own
/// bound to live results only (`result.scada.#`), so batch results do not count.
enum LiveProbe {
    static func measure(_ run: PipelineRun, rate: Double, seconds: Int, label: String) async throws -> PipelineRun.Outcome {
        let config = run.config
        let topology = PipelineTopology(config: config)
        let queue = "\(config.namespace).bench-live-\(label)"
        let consumer = try await AMQPConsumer(
            endpoint: try AMQPEndpoint(url: config.broker.url.value).named("bench-live-\(label)"), queue: queue, prefetch: 256,
            topology: AMQPTopology(
                queues: [.init(name: queue, quorum: true)],
                bindings: [.init(queue: queue, exchange: topology.resultsExchange, routingKey: "result.scada.#")]),
            logger: Bench.logger)
        let sent = Mutex<[String: ContinuousClock.Instant]>([:])
        let total = Int(rate * Double(seconds))
        let started = ContinuousClock.now
        let collector = Task {
            var latencies: [(ContinuousClock.Instant, Double)] = []
            let codec = EnvelopeCodec()
            for try await delivery in consumer.deliveries {
                let now = ContinuousClock.now
                try? consumer.enqueueAck(delivery)
                guard let result = try? codec.decode(ResultMessage.self, from: delivery.body), let id = result.linkedEvents?.first,
                    let at = sent.withLock({ $0.removeValue(forKey: id) })
                else { continue }
                latencies.append((now, Bench.seconds(now - at) * 1000))
                if latencies.count == total { break }
            }
            return latencies
        }
        var pacer = Pacer(perSecond: rate)
        for index in 0..<total {
            try await pacer.wait()
            let eventId = "\(config.namespace)-\(label)-\(index)"
            let event = FaultEvent(
                eventId: eventId, site: "bench", line: "L1", asset: "P-\(index % 97)", assetClass: "pump", tag: "PIR\(100 + index % 50)",
                alarmType: "L", severity: .low, message: "PUMP DISCH PRESS LOW ALM", values: ["pressure_bar": 2.5],
                timestamp: Timestamp.format(Date()))
            sent.withLock { $0[eventId] = .now }
            _ = try await run.publisher.publish(
                exchange: config.ingest.exchange, routingKey: "scada", body: EnvelopeCodec().encode(event),
                properties: AMQPMessageProperties(contentType: "application/json", type: "fault_event"))
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(30))
            await consumer.stopConsuming()
        }
        let arrivals = try await collector.value
        timeout.cancel()
        await consumer.close()
        try? await run.admin.deleteQueue(queue)
        // Skip the first second (connections warming up), as the pipeline benchmark does.
        let warm = arrivals.filter { Bench.seconds($0.0 - started) > 1 }.map(\.1)
        var outcome = PipelineRun.Outcome(sent: total, received: arrivals.count)
        outcome.p50 = Bench.quantile(warm, 0.5)
        outcome.p99 = Bench.quantile(warm, 0.99)
        outcome.p999 = Bench.quantile(warm, 0.999)
        return outcome
    }
}
