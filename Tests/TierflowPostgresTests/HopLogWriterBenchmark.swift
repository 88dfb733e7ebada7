import Foundation
import Testing

@testable import TierflowPostgres

/// Throughput figures, printed (no timing assertions). Run with `TIERFLOW_BENCH=1` in addition to
/// `TIERFLOW_LIVE_TESTS=1`; it takes ~10-20 s.
@Suite("HopLogWriter benchmark (live)", .serialized,
       .enabled(if: LiveDatabase.isEnabled && ProcessInfo.processInfo.environment["TIERFLOW_BENCH"] == "1"))
struct HopLogWriterBenchmark {
    static let units = 5000
    static let repetitions = 3

    private func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        return PostgresConfiguration.Backoff.seconds(ContinuousClock.now - start)
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    private func report(_ label: String, _ times: [Double], rows: Int) {
        let rates = times.map { Double(rows) / $0 }
        print(String(format: "BENCH %-52@ median %8.0f rows/s  (runs: %@)", label as NSString, median(rates),
                     rates.map { String(format: "%.0f", $0) }.joined(separator: ", ") as NSString))
    }

    @Test("hop rows per second: group commit (unnest vs VALUES, burst vs closed loop) and plain COPY")
    func measure() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let logger = LiveDatabase.logger
        let configuration = LiveDatabase.configuration(url: LiveDatabase.workerURL, application: "tierflow-bench")

        for style in [BatchInsert.Style.unnest, .multiRowValues] {
            var burst: [Double] = []
            var closedLoop: [Double] = []
            var closedLoop20: [Double] = []
            var batches: [Int] = []
            for _ in 0..<Self.repetitions {
                let prefix = "bench-\(LiveDatabase.uniqueSuffix())-"
                let writer = HopLogWriter(configuration: configuration, logger: logger, maxBatchSize: 500, style: style)
                let units = (0..<Self.units).map { HopFixtures.unit(prefix: prefix, index: $0) }
                burst.append(try await seconds { _ = try await HopFixtures.writeConcurrently(units, to: writer) })
                batches.append(writer.statistics.committedBatches)
                try await LiveDatabase.deleteRows(queryIdPrefix: prefix)

                // Closed loop: N producers, each writing its next unit when the previous one committed
                // (like consumers with a prefetch window), 5000 units in all.
                for producers in [200, 20] {
                    let loopPrefix = "bench-\(LiveDatabase.uniqueSuffix())-"
                    let loopUnits = (0..<Self.units).map { HopFixtures.unit(prefix: loopPrefix, index: $0) }
                    let time = try await seconds {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for producer in 0..<producers {
                                group.addTask {
                                    for index in stride(from: producer, to: loopUnits.count, by: producers) {
                                        _ = try await writer.write(loopUnits[index])
                                    }
                                }
                            }
                            try await group.waitForAll()
                        }
                    }
                    if producers == 200 { closedLoop.append(time) } else { closedLoop20.append(time) }
                    try await LiveDatabase.deleteRows(queryIdPrefix: loopPrefix)
                }
                await writer.close()
            }
            report("HopLogWriter \(style) burst of 5000 concurrent units", burst, rows: Self.units)
            print("BENCH   transactions per 5000-unit burst: \(batches)")
            report("HopLogWriter \(style) closed loop, 200 producers", closedLoop, rows: Self.units)
            report("HopLogWriter \(style) closed loop, 20 producers", closedLoop20, rows: Self.units)
        }

        // With a query row and a result row in every unit (3 tables per transaction).
        var full: [Double] = []
        for _ in 0..<Self.repetitions {
            let prefix = "bench-\(LiveDatabase.uniqueSuffix())-"
            let writer = HopLogWriter(configuration: configuration, logger: logger)
            let units = (0..<Self.units).map { HopFixtures.unit(prefix: prefix, index: $0, query: true, result: true) }
            full.append(try await seconds { _ = try await HopFixtures.writeConcurrently(units, to: writer) })
            await writer.close()
            try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
        }
        report("HopLogWriter unnest burst, hop+query+result each", full, rows: Self.units)

        // Baseline: one plain COPY of the same 5000 hop rows (no ON CONFLICT, no per-unit outcome).
        var copy: [Double] = []
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL, application: "tierflow-bench-copy")
        for _ in 0..<Self.repetitions {
            let prefix = "bench-\(LiveDatabase.uniqueSuffix())-"
            let hops = (0..<Self.units).map { HopFixtures.unit(prefix: prefix, index: $0).hop }
            var copied = 0
            copy.append(try await seconds { copied = try await connection.copyHops(hops) })
            #expect(copied == Self.units)
            try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
        }
        await connection.close()
        report("plain COPY of 5000 hop rows (one statement)", copy, rows: Self.units)
    }
}
