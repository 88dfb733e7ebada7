import Foundation
import Testing
import TierflowCore
import TierflowPipeline

@testable import TierflowServices

/// The real worker executables as separate processes: SIGTERM drains, nothing is lost.
@Suite("Worker processes", .serialized, .enabled(if: liveServices && WorkerBinaries.exist))
struct WorkerProcessTests {
    @Test func sigtermMidStreamDrainsAndLosesNothing() async throws {
        let tiers = """
              - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6, simulated: {skill: 1, latency_ms: 100}}
              - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 1}}
              - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0.5, simulated: {skill: 1}}
            """
        // The in-process harness publishes and reads the database; the stages run as processes.
        let pipeline = try await PipelineHarness.start(tiers: tiers, extra: "ingest: {flood_window_seconds: 0}", stages: [])
        let processes = try WorkerProcessGroup(
            binDirectory: WorkerBinaries.directory, configYAML: WorkerProcessGroup.simulatedYAML(for: pipeline.config))
        defer { processes.killAll() }
        for name in ["layer0", "router", "evaluator"] { try processes.start(name, logLevel: "info") }
        for tier in ["edge", "gpu", "cloud"] { try processes.start("worker", tier: tier, logLevel: "info") }
        try await Task.sleep(for: .seconds(1))

        var ids: Set<String> = []
        for _ in 0..<300 { ids.insert(try await pipeline.publish(event: pipeline.event())) }
        // Stop the edge worker while it holds deliveries, then bring up a replacement.
        let before = try await pipeline.results(for: ids, timeout: .milliseconds(1500))
        #expect(before.count > 0 && before.count < ids.count, "the worker is stopped mid-stream")
        let status = try await processes.terminate("worker-edge", within: .seconds(20))
        try processes.start("worker", tier: "edge", logLevel: "info")
        let results = try await pipeline.results(for: ids, timeout: .seconds(60))
        let tierHops = try await pipeline.database.query(
            "SELECT count(*)::int AS n, count(DISTINCT query_id)::int AS q FROM hops WHERE stage = 'tier' AND query_id = ANY($1)",
            [.array(ids.map { .string($0) })])
        let exits = try await processes.terminateAll(within: .seconds(20))
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

enum WorkerBinaries {
    static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["TIERFLOW_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug").standardized
    }

    static var exist: Bool {
        FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("tierflow-worker").path)
    }
}
