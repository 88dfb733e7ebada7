import Foundation
import Testing
import TierflowCore
import TierflowFaults
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

        let ledger = QueryLedger(scope: .init(namespace: pipeline.config.namespace, site: nil))
        var ids: Set<String> = []
        for _ in 0..<500 {
            let id = try await pipeline.publish(event: pipeline.event())
            ids.insert(id)
            ledger.submitted(queryId: id)
        }
        // Stop the edge worker while it holds deliveries (500 calls of ~100 ms, 8 at a time, take ~6 s),
        // then bring up a replacement.
        var before = 0
        let waitLimit = ContinuousClock.now + .seconds(30)
        while before < 50 && ContinuousClock.now < waitLimit {
            try await Task.sleep(for: .milliseconds(100))
            before = try await pipeline.count(
                "SELECT count(*)::int AS n FROM results WHERE source = 'scada' AND query_id = ANY(string_to_array($1, ','))",
                ids.joined(separator: ","))
        }
        #expect(before > 0 && before < ids.count, "the worker is stopped mid-stream")
        let status = try await processes.terminate("worker-edge", within: .seconds(20))
        try processes.start("worker", tier: "edge", logLevel: "info")
        // The replacement must be up (past its start-up) before the final SIGTERM: if the draining worker
        // finished every query, nothing else would wait for it, and a signal before a process installs its
        // handlers ends it with status 15, which is not what this test is about.
        let upLimit = ContinuousClock.now + .seconds(30)
        while processes.log("worker-edge").components(separatedBy: "] consuming").count < 3 && ContinuousClock.now < upLimit {
            try await Task.sleep(for: .milliseconds(100))
        }
        let counts = try await ledger.settle(on: pipeline.database, timeout: .seconds(60))
        let tierHops = try await pipeline.database.query(
            "SELECT count(*)::int AS n, count(DISTINCT query_id)::int AS q FROM hops WHERE stage = 'tier' AND query_id = ANY($1)",
            [.array(ids.map { .string($0) })])
        let exits = try await processes.terminateAll(within: .seconds(20))
        let drainLog = processes.log("worker-edge")
        processes.removeTemporaryDirectory()
        await pipeline.stop()

        #expect(status == 0, "a worker drains and exits 0 on SIGTERM")
        #expect(counts.isClean && counts.results == ids.count, "every query has its one result: \(counts)")
        // Every query was answered once, by one tier attempt: none was dropped or worked twice.
        #expect(try tierHops.first?.int("n") == ids.count)
        #expect(try tierHops.first?.int("q") == ids.count)
        #expect(exits.values.allSatisfy { $0 == 0 }, "\(exits)")
        #expect(drainLog.contains("draining"))
    }
}

extension WorkerProcessTests {
    /// kill -9 of each stage mid-stream, one after the other, each restarted: every query ends with exactly one
    /// result, and no hop row is written twice.
    @Test func killMinusNineOfEachStageLosesNothing() async throws {
        let tiers = """
              - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6, simulated: {skill: 0.5, latency_ms: 20}}
              - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 1, latency_ms: 20}}
              - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0.5, simulated: {skill: 1}}
            """
        let pipeline = try await PipelineHarness.start(tiers: tiers, extra: "ingest: {flood_window_seconds: 0}", stages: [])
        let processes = try WorkerProcessGroup(
            binDirectory: WorkerBinaries.directory, configYAML: WorkerProcessGroup.simulatedYAML(for: pipeline.config))
        defer { processes.killAll() }
        let stages: [(String, String?)] = [("layer0", nil), ("router", nil), ("evaluator", nil), ("worker", "edge"), ("worker", "gpu"), ("worker", "cloud")]
        for (executable, tier) in stages { try processes.start(executable, tier: tier) }
        try await Task.sleep(for: .seconds(1))

        let ledger = QueryLedger(scope: .init(namespace: pipeline.config.namespace, site: nil))
        var ids: Set<String> = []
        for round in 0..<5 {
            for _ in 0..<80 {
                let id = try await pipeline.publish(event: pipeline.event())
                ids.insert(id)
                ledger.submitted(queryId: id)
            }
            // Crash one stage while messages are in flight, then bring it back.
            let (executable, tier) = stages[[0, 1, 3, 2, 4][round]]
            try await Task.sleep(for: .milliseconds(150))
            processes.crash(tier.map { "\(executable)-\($0)" } ?? executable)
            try processes.start(executable, tier: tier)
        }
        let counts = try await ledger.settle(on: pipeline.database, timeout: .seconds(90))
        let rows = try await pipeline.database.query(
            "SELECT count(*)::int AS n, count(DISTINCT query_id)::int AS q FROM results WHERE query_id = ANY($1)",
            [.array(ids.map { .string($0) })])
        _ = try await processes.terminateAll(within: .seconds(20))
        processes.removeTemporaryDirectory()
        await pipeline.stop()

        #expect(counts.isClean && counts.results == ids.count, "every query has its one result after the crashes: \(counts)")
        #expect(try rows.first?.int("n") == ids.count)
        #expect(try rows.first?.int("q") == ids.count)
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
