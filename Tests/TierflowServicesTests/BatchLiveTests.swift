import Foundation
import Testing
import TierflowCore
import TierflowPipeline
import TierflowPostgres

@testable import TierflowServices

/// `tierflow batch` on the real broker and database: exactly one diagnosis per line, bad lines skipped with
/// their numbers, resume after kill -9, live events overtaking a batch, the budget cap.
@Suite("Batch re-diagnosis", .serialized, .enabled(if: liveServices))
struct BatchLiveTests {
    static let tiers = """
          - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6, simulated: {skill: 1}}
          - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 1}}
          - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0.5, simulated: {skill: 1}}
        """
    static let mapping = try! BatchMapping.flags(
        map: ["alarm_type=type", "message=description", "asset=tag", "event_id=id", "previous=old"],
        set: ["site=tep", "severity=medium"])

    /// A CSV of `unique` distinct alarms, each `copies` times, plus the `extra` lines at the end.
    static func csv(unique: Int, copies: Int = 1, tag: String = UUID().uuidString.prefix(6).description, extra: [String] = []) throws -> (path: String, lines: Int) {
        var lines = ["id,timestamp,tag,type,description,old"]
        for copy in 0..<copies {
            for index in 0..<unique {
                lines.append("ev\(copy)-\(index),2024-05-01 00:00:\(index % 60),T\(tag)\(index % 7),L,\"FLOW \(index) LOW, CHECK\",Oil Analysis")
            }
        }
        lines += extra
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-live-\(UUID().uuidString).csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, lines.count - 1)
    }

    /// Runs a batch in this process as the worker role; returns how it ended and its row.
    static func run(
        _ pipeline: PipelineHarness, file: String, id: String, budget: Double? = nil, rate: Double? = nil, maxInFlight: Int = 1000
    ) async throws -> (BatchRunner.Outcome, BatchStatus) {
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: pipeline.config.database.url.value), logger: PipelineHarness.logger)
        let store = BatchStore(connection: connection)
        var options = BatchRunner.Options(
            start: .init(
                id: id, file: file, format: "csv", mapping: mapping, budgetUSD: budget, ratePerSecond: rate, maxInFlight: maxInFlight,
                runner: "test"),
            format: .csv)
        options.pollInterval = .milliseconds(50)
        let runner = BatchRunner(config: pipeline.config, options: options, publisher: pipeline.publisher, store: store, logger: PipelineHarness.logger)
        let outcome = try await runner.runBatch()
        let status = try #require(try await store.load(id))
        await connection.close()
        return (outcome, status)
    }

    /// Per-line facts: lines, lines with a result, distinct queries, tier hops of those queries.
    static func lineFacts(_ pipeline: PipelineHarness, _ id: String) async throws -> (lines: Int, answered: Int, queries: Int, tierHops: Int, layer0Hops: Int) {
        let rows = try await pipeline.database.query(
            """
            SELECT (SELECT count(*) FROM batch_lines WHERE batch_id = $1)::int AS lines,
                   (SELECT count(*) FROM batch_results WHERE batch_id = $1 AND answer IS NOT NULL)::int AS answered,
                   (SELECT count(*) FROM batch_queries WHERE batch_id = $1)::int AS queries,
                   (SELECT count(*) FROM hops h JOIN batch_queries q ON q.query_id = h.query_id AND q.batch_id = $1 WHERE h.stage = 'tier')::int AS tier_hops,
                   (SELECT count(*) FROM hops h JOIN batch_queries q ON q.query_id = h.query_id AND q.batch_id = $1 WHERE h.stage = 'layer0')::int AS layer0_hops
            """, [.string(id)])
        let row = rows[0]
        return (try row.int("lines")!, try row.int("answered")!, try row.int("queries")!, try row.int("tier_hops")!, try row.int("layer0_hops")!)
    }

    @Test func everyLineGetsOneDiagnosisDuplicatesOnceAndBadLinesAreSkipped() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.tiers, extra: "ingest: {flood_window_seconds: 0}")
        let file = try Self.csv(
            unique: 12, copies: 3,
            extra: ["bad,line,with,too,many,columns,here", "ev-x,2024-05-01,TX,L,,Oil Analysis"])
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let id = "t-\(UUID().uuidString.prefix(8))"
        let (outcome, status) = try await Self.run(pipeline, file: file.path, id: id)
        let facts = try await Self.lineFacts(pipeline, id)
        let errors = try await pipeline.database.query(
            "SELECT line_no, error FROM batch_lines WHERE batch_id = $1 AND error IS NOT NULL ORDER BY line_no", [.string(id)])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("batch-out-\(id).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let written = try await BatchExporter(connection: pipeline.database).export(id: id, to: output)
        let report = try #require(try await BatchReport.load(id: id, config: pipeline.config, connection: pipeline.database))
        let html = BatchHTMLReport(report: report).render()
        await pipeline.stop()

        #expect(outcome == .done)
        #expect(status.state == .done)
        #expect(facts.lines == file.lines, "one row per input line")
        #expect(status.malformed == 2)
        #expect(try errors.map { try $0.int("line_no")! } == [38, 39], "the header is line 1; 36 good lines follow")
        #expect(try errors[1].string("error")?.hasPrefix("message: no value") == true)
        #expect(facts.queries == 12, "identical alarms share one query")
        #expect(facts.answered == 36)
        #expect(facts.tierHops == 12, "each distinct alarm was diagnosed once")
        #expect(status.doneLines == 36)
        #expect(written == file.lines)
        let exported = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(exported.count == file.lines)
        #expect(report.compared == 36)
        #expect(report.layers.reduce(0) { $0 + $1.lines } == 36)
        #expect(html.contains("<svg") && !html.contains("<script"))
    }

    @Test func budgetCapStopsTheBatchCleanlyAndAHigherCapContinues() async throws {
        // Every tier is expensive (the router picks the cheapest that clears the target): about $0.3 a query.
        let paid = Self.tiers.replacingOccurrences(of: "price: {input: 0, output: 0}", with: "price: {input: 1000, output: 1000}")
            .replacingOccurrences(of: "price: {input: 0.6, output: 0.8}", with: "price: {input: 2000, output: 2000}")
            .replacingOccurrences(of: "price: {input: 15, output: 75}", with: "price: {input: 3000, output: 3000}")
        let pipeline = try await PipelineHarness.start(tiers: paid, extra: "ingest: {flood_window_seconds: 0}")
        let file = try Self.csv(unique: 40)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let id = "t-\(UUID().uuidString.prefix(8))"
        let (outcome, status) = try await Self.run(pipeline, file: file.path, id: id, budget: 1.0)
        let orphans = try await pipeline.count(
            "SELECT count(*)::int AS n FROM batch_results WHERE batch_id = $1 AND query_id IS NOT NULL AND answer IS NULL", id)
        let (again, after) = try await Self.run(pipeline, file: file.path, id: id, budget: 1000)
        let facts = try await Self.lineFacts(pipeline, id)
        await pipeline.stop()

        #expect(outcome == .budget)
        #expect(status.state == .budget)
        // Each query in flight is reserved at the dearest one answered (about $0.3): the spend stays near the cap,
        // over it only by what in-flight queries cost beyond that (reserving the mean once let it reach $2.08).
        #expect(status.costUSD > 0.5 && status.costUSD < 1.5, "stops near the cap: \(status.costUSD)")
        #expect(status.maxQueryCostUSD > 0.1 && status.maxQueryCostUSD < status.costUSD, "dearest query: \(status.maxQueryCostUSD)")
        #expect(status.doneLines > 0 && status.doneLines < file.lines, "it stopped part-way: \(status.doneLines)")
        #expect(status.inFlight == 0 && orphans == 0, "nothing left half-done: every published line has its answer")
        #expect(again == .done)
        #expect(after.doneLines == file.lines)
        #expect(facts.tierHops == 40, "resuming diagnosed nothing twice")
    }

    @Test func oneProcessRunsABatchAtATimeAndPauseHoldsIt() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.tiers, extra: "ingest: {flood_window_seconds: 0}")
        let file = try Self.csv(unique: 30)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let id = "t-\(UUID().uuidString.prefix(8))"
        let holder = BatchStore(connection: pipeline.database)
        #expect(try await holder.lock(id))
        await #expect(throws: BatchError.self) { _ = try await Self.run(pipeline, file: file.path, id: id) }
        try await holder.unlock(id)
        // Paused before it starts: it publishes nothing until resumed.
        _ = try await holder.start(.init(
            id: id, file: file.path, format: "csv", mapping: Self.mapping, budgetUSD: nil, ratePerSecond: nil, maxInFlight: 1000, runner: "test"))
        try await holder.setState(id, to: .paused, from: [.running])
        let run = Task { try await Self.run(pipeline, file: file.path, id: id) }
        try await Task.sleep(for: .seconds(1))
        let whilePaused = try await pipeline.count("SELECT queries::int AS n FROM batches WHERE id = $1", id)
        try await holder.setState(id, to: .running, from: [.paused])
        let (outcome, status) = try await run.value
        await pipeline.stop()

        #expect(whilePaused == 0)
        #expect(outcome == .done && status.doneLines == 30)
    }

    @Test func liveEventsOvertakeARunningBatch() async throws {
        // Every tier call takes 150 ms: the batch lane gets 8 at a time, so 400 batch queries need ~8 s.
        let slow = Self.tiers.replacingOccurrences(of: "simulated: {skill: 1}}", with: "simulated: {skill: 1, latency_ms: 150}}")
        let pipeline = try await PipelineHarness.start(tiers: slow, extra: "ingest: {flood_window_seconds: 0}")
        let file = try Self.csv(unique: 400)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let id = "t-\(UUID().uuidString.prefix(8))"
        let batch = Task { try await Self.run(pipeline, file: file.path, id: id) }
        // Wait until the batch lane holds a backlog.
        var queued = 0
        let limit = ContinuousClock.now + .seconds(20)
        while queued < 300 && ContinuousClock.now < limit {
            try await Task.sleep(for: .milliseconds(50))
            queued = try await pipeline.count("SELECT queries::int AS n FROM batches WHERE id = $1", id)
        }
        var live: [String: ContinuousClock.Instant] = [:]
        for _ in 0..<5 { live[try await pipeline.publish(event: pipeline.event())] = .now }
        let results = try await pipeline.results(for: Set(live.keys), timeout: .seconds(20))
        let arrived = ContinuousClock.now
        let batchDoneThen = try await pipeline.count("SELECT done_queries::int AS n FROM batches WHERE id = $1", id)
        let (outcome, status) = try await batch.value
        await pipeline.stop()

        #expect(queued >= 300)
        #expect(results.count == 5, "every live event answered")
        let slowest = live.values.map { arrived - $0 }.max() ?? .zero
        #expect(slowest < .seconds(3), "live events did not wait for the batch backlog: \(slowest)")
        #expect(batchDoneThen < 300, "the batch was still running when the live answers were in: \(batchDoneThen) done")
        #expect(outcome == .done && status.doneLines == 400)
    }
}

/// The batch command as a separate process, killed with SIGKILL and run again.
@Suite("Batch command process", .serialized, .enabled(if: liveServices && WorkerBinaries.exist))
struct BatchProcessTests {
    @Test func resumeAfterKill9GivesExactlyOneResultPerLine() async throws {
        let pipeline = try await PipelineHarness.start(tiers: BatchLiveTests.tiers, extra: "ingest: {flood_window_seconds: 0}")
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: config) }
        try pipeline.yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let file = try BatchLiveTests.csv(unique: 300)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let id = "t-\(UUID().uuidString.prefix(8))"
        func command(_ extra: [String]) throws -> Process {
            let process = Process()
            process.executableURL = WorkerBinaries.directory.appendingPathComponent("tierflow")
            process.arguments = [
                "batch", "run", file.path, "--config", config, "--id", id, "--log-level", "warning", "--progress", "lines",
                "--progress-interval", "0.5", "--map", "alarm_type=type", "--map", "message=description", "--map", "asset=tag",
                "--map", "event_id=id", "--map", "previous=old", "--set", "site=tep", "--set", "severity=medium",
            ] + extra
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let first = try command(["--rate", "40"])
        var committed = 0
        let limit = ContinuousClock.now + .seconds(30)
        while committed < 60 && ContinuousClock.now < limit {
            try await Task.sleep(for: .milliseconds(100))
            committed = try await pipeline.count("SELECT coalesce((SELECT lines_read::int FROM batches WHERE id = $1), 0) AS n", id)
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let atKill = try await pipeline.count("SELECT lines_read::int AS n FROM batches WHERE id = $1", id)
        let second = try command(["--rate", "1000"])
        let deadline = ContinuousClock.now + .seconds(60)
        while second.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        if second.isRunning { kill(second.processIdentifier, SIGKILL) }
        second.waitUntilExit()
        let facts = try await BatchLiveTests.lineFacts(pipeline, id)
        let duplicates = try await pipeline.count(
            "SELECT count(*)::int AS n FROM (SELECT line_no FROM batch_results WHERE batch_id = $1 GROUP BY line_no HAVING count(*) > 1) d", id)
        await pipeline.stop()

        #expect(first.terminationReason == .uncaughtSignal)
        #expect(atKill >= 60 && atKill < file.lines, "killed part-way: \(atKill) lines committed")
        #expect(second.terminationStatus == 0, "the second run finishes the batch")
        #expect(facts.lines == file.lines)
        #expect(facts.answered == file.lines, "every line has its diagnosis")
        #expect(duplicates == 0)
        #expect(facts.queries == 300)
        #expect(facts.tierHops == 300, "no line was diagnosed twice")
        #expect(facts.layer0Hops == 300)
    }
}
