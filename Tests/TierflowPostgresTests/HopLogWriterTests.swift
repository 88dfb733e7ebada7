import Foundation
import Testing

@testable import TierflowPostgres

@Suite("HopLogWriter (live)", .enabled(if: LiveDatabase.isEnabled))
struct HopLogWriterTests {
    private func makeWriter(application: String = "tierflow-tests-writer", url: String = LiveDatabase.workerURL) -> HopLogWriter {
        HopLogWriter(configuration: LiveDatabase.configuration(url: url, application: application), logger: LiveDatabase.logger)
    }

    @Test("5000 concurrent writes commit exactly once in groups; replaying them inserts nothing")
    func concurrentWritesAndReplay() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-hop-\(LiveDatabase.uniqueSuffix())-"
        let writer = makeWriter()
        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        let units = (0..<5000).map {
            HopFixtures.unit(prefix: prefix, index: $0, query: $0 % 5 == 0, result: $0 % 7 == 0, deadLetter: $0 % 50 == 0)
        }

        let first = try await HopFixtures.writeConcurrently(units, to: writer)
        #expect(first.allSatisfy { $0.hop == .inserted })
        #expect(first.filter { $0.query == .inserted }.count == 1000)
        #expect(first.filter { $0.result == .inserted }.count == 715)
        #expect(first.filter { $0.deadLetter == .inserted }.count == 100)
        let expected = ["hops": 5000, "queries": 1000, "results": 715, "dead_letters": 100]
        #expect(try await HopFixtures.counts(prefix: prefix, on: reader) == expected)
        let statistics = writer.statistics
        #expect(statistics.committedUnits == 5000)
        #expect(statistics.committedBatches < 5000, "no group commit happened")
        #expect(statistics.conflictRetries == 0, "new rows went through the conflict-skipping insert")

        // Duplicate submissions: the same units again, concurrently, twice each.
        let replay = try await HopFixtures.writeConcurrently(units + units, to: writer)
        #expect(replay.allSatisfy { $0.hop == .duplicate })
        #expect(replay.allSatisfy { $0.query != .inserted && $0.result != .inserted && $0.deadLetter != .inserted })
        #expect(try await HopFixtures.counts(prefix: prefix, on: reader) == expected)
        let replayed = writer.statistics
        #expect(replayed.conflictRetries == replayed.committedBatches - statistics.committedBatches)

        print("HopLogWriter: \(statistics.committedBatches) transactions for 5000 units, largest \(statistics.largestBatch)")
        await writer.close()
        await reader.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("one transaction mixing new rows, stored rows and repeats within it reports each unit exactly")
    func mixedBatchOutcomes() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-mix-\(LiveDatabase.uniqueSuffix())-"
        let writer = makeWriter()
        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        let stored = try await writer.write([0, 2].map { HopFixtures.unit(prefix: prefix, index: $0, query: true) })
        #expect(stored.allSatisfy { $0.hop == .inserted && $0.query == .inserted })

        // Units 4 and 1 repeat inside the batch; 0 and 2 are already stored; 3 is stored only as a query.
        _ = try await writer.write(HopFixtures.unit(prefix: prefix, index: 3, stage: "router", query: true))
        let indices = [4, 0, 1, 2, 4, 3, 1]
        let outcomes = try await writer.write(indices.map { HopFixtures.unit(prefix: prefix, index: $0, query: true) })
        #expect(outcomes.map(\.hop) == [.inserted, .duplicate, .inserted, .duplicate, .duplicate, .inserted, .duplicate])
        #expect(outcomes.map(\.query) == [.inserted, .duplicate, .inserted, .duplicate, .duplicate, .duplicate, .duplicate])
        #expect(try await HopFixtures.counts(prefix: prefix, on: reader)["hops"] == 6)
        #expect(try await HopFixtures.counts(prefix: prefix, on: reader)["queries"] == 5)
        await writer.close()
        await reader.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("two different units writing a result for the same query: exactly one result lands")
    func resultUniquePerQuery() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-res-\(LiveDatabase.uniqueSuffix())-"
        let writer = makeWriter()
        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        // Same batch (concurrent) and across batches (sequential), for 20 queries each.
        let concurrent = (0..<20).flatMap { index in
            [HopFixtures.unit(prefix: prefix, index: index, stage: "result", attempt: 0, result: true),
             HopFixtures.unit(prefix: prefix, index: index, stage: "result", attempt: 1, result: true)]
        }
        let outcomes = try await HopFixtures.writeConcurrently(concurrent, to: writer)
        #expect(outcomes.allSatisfy { $0.hop == .inserted })
        #expect(outcomes.filter { $0.result == .inserted }.count == 20)
        #expect(outcomes.filter { $0.result == .duplicate }.count == 20)
        let late = try await writer.write(HopFixtures.unit(prefix: prefix, index: 3, stage: "result", attempt: 2, result: true))
        #expect(late.hop == .inserted)
        #expect(late.result == .duplicate)
        let counts = try await HopFixtures.counts(prefix: prefix, on: reader)
        #expect(counts["results"] == 20)
        #expect(counts["hops"] == 41)
        await writer.close()
        await reader.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("existingHop returns the stored decision and output; nil when absent")
    func existingHop() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-exist-\(LiveDatabase.uniqueSuffix())-"
        let writer = makeWriter()
        let unit = HopFixtures.unit(prefix: prefix, index: 1)
        _ = try await writer.write(unit)
        let stored = try #require(try await writer.existingHop(queryId: unit.hop.queryId, stage: "tier", tier: "edge"))
        #expect(stored.decision == "answered")
        #expect(stored.record.key == unit.hop.key)
        #expect(stored.record.tokensIn == 412)
        let output = try #require(stored.output)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(json["query_id"] as? String == unit.hop.queryId)
        #expect((json["answer"] as? String)?.contains("\u{FFFD}") == true, "the NUL escape was sanitised")
        #expect(try await writer.existingHop(queryId: unit.hop.queryId, stage: "tier", tier: "cloud") == nil)
        await writer.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("a unit the server rejects fails alone; the rest of its batch commits")
    func badUnitIsIsolated() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-bad-\(LiveDatabase.uniqueSuffix())-"
        let writer = makeWriter()
        var units = (0..<50).map { HopFixtures.unit(prefix: prefix, index: $0) }
        units[17].hop.detail = "{not json"
        let results = await withTaskGroup(of: (Int, Result<HopWriteOutcome, any Error>).self) { group in
            for (index, unit) in units.enumerated() {
                group.addTask {
                    do { return (index, .success(try await writer.write(unit))) } catch { return (index, .failure(error)) }
                }
            }
            var collected: [Int: Result<HopWriteOutcome, any Error>] = [:]
            for await (index, result) in group { collected[index] = result }
            return collected
        }
        var rejected: PostgresError?
        if case .failure(let error) = results[17] { rejected = error as? PostgresError }
        let failure = try #require(rejected)
        #expect(failure.sqlState == "22P02")
        #expect(results.filter { $0.key != 17 }.allSatisfy { (try? $0.value.get())?.hop == .inserted })
        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        #expect(try await HopFixtures.counts(prefix: prefix, on: reader)["hops"] == 49)
        await reader.close()
        await writer.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("the units of one call commit in one transaction, or fail together")
    func unitsOfOneCallShareATransaction() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-group-\(LiveDatabase.uniqueSuffix())-"
        let writer = makeWriter()
        // 200 calls of three units each (a final hop, its result hop and the result row), all at once, so
        // group commits of several calls and both writer connections are in play; call 37 has a bad unit.
        let calls = (0..<200).map { index in
            [
                HopFixtures.unit(prefix: prefix, index: index, stage: "evaluator"),
                HopFixtures.unit(prefix: prefix, index: index, stage: "result", result: true),
                HopFixtures.unit(prefix: prefix, index: index, stage: "tier"),
            ]
        }
        var broken = calls
        broken[37][2].hop.detail = "{not json"
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, units) in broken.enumerated() {
                group.addTask { (index, (try? await writer.write(units)) != nil) }
            }
            var succeeded: [Int: Bool] = [:]
            for await (index, ok) in group { succeeded[index] = ok }
            return succeeded
        }
        #expect(outcomes.filter { !$0.value }.map(\.key) == [37])

        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        let rows = try await reader.query(
            """
            SELECT query_id, count(*)::int AS n, count(DISTINCT xmin::text)::int AS transactions
            FROM hops WHERE query_id LIKE $1 GROUP BY query_id
            """, [.string(prefix + "%")])
        #expect(rows.count == 199, "every call but the broken one landed; none of the broken one's units did")
        #expect(try rows.allSatisfy { try $0.int("n") == 3 && $0.int("transactions") == 1 }, "a call's hops committed together")
        #expect(try rows.allSatisfy { try $0.string("query_id") != prefix + "37" })
        await reader.close()
        await writer.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("writes that arrive during a commit wait for it until spillThreshold units are queued, then use a second connection")
    func secondConnectionOnlyForABacklog() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-spill-\(LiveDatabase.uniqueSuffix())-"
        let application = "tierflow-tests-spill-\(LiveDatabase.uniqueSuffix())"
        let writer = HopLogWriter(
            configuration: LiveDatabase.configuration(url: LiveDatabase.workerURL, application: application), logger: LiveDatabase.logger,
            connections: 2, spillThreshold: 8)
        // Another session inserts the first unit's hop and keeps its transaction open: the writer's insert of
        // that key waits for it, so the writer's first transaction cannot commit until this one ends.
        let blocked = HopFixtures.unit(prefix: prefix, index: 0)
        let holder = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        _ = try await holder.execute("BEGIN")
        _ = try await holder.execute(
            """
            INSERT INTO hops (query_id, stage, tier, attempt, worker, started_at, finished_at, decision)
            VALUES ($1, $2, $3, $4, 'test-holder', now(), now(), 'held')
            """, [.string(blocked.hop.queryId), .string(blocked.hop.stage), .string(blocked.hop.tier), .int(blocked.hop.attempt)])
        let first = Task { try await writer.write(blocked) }
        let observer = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        func waitingOnLock() async throws -> Int {
            let rows = try await observer.query(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                [.string(application)])
            return try rows[0].int("n") ?? 0
        }
        for _ in 0..<200 where try await waitingOnLock() == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await waitingOnLock() == 1)

        // Four units (below the threshold) wait behind the blocked transaction instead of starting another.
        let few = (1...4).map { HopFixtures.unit(prefix: prefix, index: $0) }
        let fewTask = Task { try await HopFixtures.writeConcurrently(few, to: writer) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(writer.statistics.committedBatches == 0, "a unit below the threshold started a transaction of its own")

        // Four more make eight: the second connection commits them while the first is still blocked.
        let more = (5...8).map { HopFixtures.unit(prefix: prefix, index: $0) }
        let outcomes = try await HopFixtures.writeConcurrently(more, to: writer) + fewTask.value
        #expect(outcomes.allSatisfy { $0.hop == .inserted })
        #expect(writer.statistics.committedBatches == 1)
        #expect(writer.statistics.largestBatch == 8)

        _ = try await holder.execute("ROLLBACK")
        #expect(try await first.value.hop == .inserted)
        #expect(writer.statistics.committedBatches == 2)
        await holder.close()
        await observer.close()
        await writer.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("writes issued around a backend kill all land exactly once")
    func writesAroundKill() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-kill-\(LiveDatabase.uniqueSuffix())-"
        let application = "tierflow-test-writer-kill-\(LiveDatabase.uniqueSuffix())"
        let writer = makeWriter(application: application)
        let units = (0..<3000).map { HopFixtures.unit(prefix: prefix, index: $0, result: $0 % 3 == 0) }
        let writes = Task { try await HopFixtures.writeConcurrently(units, to: writer) }
        var kills = 0
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(60))
            kills += try LiveDatabase.terminateBackends(application: application)
        }
        let outcomes = try await writes.value
        #expect(kills >= 1)
        #expect(outcomes.count == 3000)
        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        let counts = try await HopFixtures.counts(prefix: prefix, on: reader)
        #expect(counts["hops"] == 3000)
        #expect(counts["results"] == 1000)
        // An ambiguous COMMIT (connection lost during it) may make a landed unit report .duplicate, never the
        // reverse: reported insertions never exceed rows.
        #expect(outcomes.filter { $0.hop == .inserted }.count <= 3000)
        let replay = try await HopFixtures.writeConcurrently(Array(units.prefix(100)), to: writer)
        #expect(replay.allSatisfy { $0.hop == .duplicate })
        #expect(writer.isHealthy)
        print("HopLogWriter kill test: \(kills) backends killed, \(writer.statistics.retries) retried attempts")
        await reader.close()
        await writer.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("while the database refuses connections, writes wait (unhealthy), can be cancelled, and land once it is back")
    func outageWaitsAndRecovers() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let suffix = LiveDatabase.uniqueSuffix()
        let role = "tierflow_test_\(suffix)"
        let password = "pw-\(suffix)"
        try LiveDatabase.superuser("""
            CREATE ROLE \(role) LOGIN PASSWORD '\(password)';
            GRANT SELECT, INSERT, UPDATE ON hops, queries, results, dead_letters TO \(role);
            ALTER ROLE \(role) NOLOGIN;
            """)
        var components = try #require(URLComponents(string: LiveDatabase.workerURL))
        components.user = role
        components.password = password
        let writer = makeWriter(application: "tierflow-test-outage-\(suffix)", url: try #require(components.string))
        let prefix = "test-outage-\(suffix)-"
        do {
            let pending = Task { try await writer.write(HopFixtures.unit(prefix: prefix, index: 1)) }
            let cancelled = Task { try await writer.write(HopFixtures.unit(prefix: prefix, index: 2)) }
            try await Task.sleep(for: .milliseconds(400))
            #expect(!writer.isHealthy)
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }

            try LiveDatabase.superuser("ALTER ROLE \(role) LOGIN")
            let outcome = try await pending.value
            #expect(outcome.hop == .inserted)
            #expect(writer.isHealthy)
            let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
            let rows = try await reader.query("SELECT query_id FROM hops WHERE query_id LIKE $1", [.string(prefix + "%")])
            #expect(rows.map { try? $0.string("query_id") } == [prefix + "1"])
            await reader.close()
        } catch {
            Issue.record(error)
        }
        await writer.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
        try LiveDatabase.superuser("DROP OWNED BY \(role); DROP ROLE \(role);")
    }
}
