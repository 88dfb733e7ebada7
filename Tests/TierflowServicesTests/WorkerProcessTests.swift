import Foundation
import Testing
import TierflowCore
import TierflowPipeline

@testable import TierflowServices

/// The real worker executables as separate processes: SIGTERM drains, nothing is lost.
@Suite("Worker processes", .serialized, .enabled(if: liveServices && WorkerProcesses.binariesExist))
struct WorkerProcessTests {
    @Test func sigtermMidStreamDrainsAndLosesNothing() async throws {
        let tiers = """
              - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6, simulated: {skill: 1, latency_ms: 100}}
              - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 1}}
              - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0.5, simulated: {skill: 1}}
            """
        // The in-process harness publishes and reads the database; the stages run as processes.
        let pipeline = try await PipelineHarness.start(tiers: tiers, extra: "ingest: {flood_window_seconds: 0}", stages: [])
        let processes = try WorkerProcesses(config: pipeline.config)
        defer { processes.killAll() }
        for name in ["layer0", "router", "evaluator"] { try processes.start(name) }
        for tier in ["edge", "gpu", "cloud"] { try processes.start("worker", tier: tier) }
        try await Task.sleep(for: .seconds(1))

        var ids: Set<String> = []
        for _ in 0..<300 { ids.insert(try await pipeline.publish(event: pipeline.event())) }
        // Stop the edge worker while it holds deliveries, then bring up a replacement.
        let before = try await pipeline.results(for: ids, timeout: .milliseconds(1500))
        #expect(before.count > 0 && before.count < ids.count, "the worker is stopped mid-stream")
        let status = try await processes.terminate("worker-edge", within: .seconds(20))
        try processes.start("worker", tier: "edge")
        let results = try await pipeline.results(for: ids, timeout: .seconds(60))
        let tierHops = try await pipeline.database.query(
            "SELECT count(*)::int AS n, count(DISTINCT query_id)::int AS q FROM hops WHERE stage = 'tier' AND query_id = ANY($1)",
            [.array(ids.map { .string($0) })])
        var exits: [String: Int32] = [:]
        for name in processes.running { exits[name] = try await processes.terminate(name, within: .seconds(20)) }
        await pipeline.stop()

        #expect(status == 0, "a worker drains and exits 0 on SIGTERM")
        #expect(results.count == ids.count, "every query has its result")
        // Every query was answered once, by one tier attempt: none was dropped or worked twice.
        #expect(try tierHops.first?.int("n") == ids.count)
        #expect(try tierHops.first?.int("q") == ids.count)
        #expect(exits.values.allSatisfy { $0 == 0 }, "\(exits)")
        #expect(processes.log("worker-edge").contains("draining"))
    }
}

/// Starts and stops the worker executables with a configuration file of their own.
final class WorkerProcesses: @unchecked Sendable {
    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["TIERFLOW_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug").standardized
    }

    static var binariesExist: Bool {
        FileManager.default.isExecutableFile(atPath: binDirectory.appendingPathComponent("tierflow-worker").path)
    }

    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    private let directory: URL
    private let configPath: String

    init(config: PipelineConfig) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-procs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("pipeline.yaml").path
        try Self.yaml(for: config).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var running: [String] { lock.withLock { processes.filter { $0.value.isRunning }.map(\.key) } }

    func start(_ executable: String, tier: String? = nil) throws {
        let name = tier.map { "\(executable)-\($0)" } ?? executable
        let process = Process()
        process.executableURL = Self.binDirectory.appendingPathComponent("tierflow-\(executable)")
        process.arguments = ["--config", configPath, "--log-level", "info"] + (tier.map { ["--tier", $0] } ?? [])
        let log = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { processes[name] = process }
    }

    /// Sends SIGTERM and waits for the exit status.
    func terminate(_ name: String, within limit: Duration) async throws -> Int32 {
        guard let process = lock.withLock({ processes[name] }) else { return -1 }
        process.terminate()
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return -9
        }
        return process.terminationStatus
    }

    func killAll() {
        for process in lock.withLock({ Array(processes.values) }) where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// A configuration file equivalent to `config` (what the harness parsed).
    static func yaml(for config: PipelineConfig) -> String {
        var lines = [
            "namespace: \(config.namespace)",
            "broker: {url: \"\(config.broker.url.value)\", admin_url: \"\(config.broker.adminURL.value)\"}",
            "database: {url: \"\(config.database.url.value)\", owner_url: \"\(config.database.ownerURL.value)\"}",
            "queues: {prefetch: \(config.queues.prefetch), delivery_limit: \(config.queues.deliveryLimit), max_message_bytes: \(config.queues.maxMessageBytes)}",
            "ingest: {flood_window_seconds: \(config.ingest.floodWindowSeconds), default_deadline_seconds: \(config.ingest.defaultDeadlineSeconds)}",
            "router: {quality_target: \(config.router.qualityTarget)}",
            "tiers:",
        ]
        for tier in config.tiers {
            lines.append(
                "  - {name: \(tier.name), backend: simulated, model: \(tier.model), price: {input: \(tier.price.inputPerMillion), output: \(tier.price.outputPerMillion)}, confidence_threshold: \(tier.confidenceThreshold), simulated: {skill: \(tier.simulation.skill), latency_ms: \(tier.simulation.latencyMilliseconds)}}"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
