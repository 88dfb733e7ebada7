import ArgumentParser
import Foundation
import TierflowPostgres

/// Rows per second of the hop-log writer (group commit, idempotent) against a plain COPY of the same rows.
struct HopLogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hoplog", abstract: "Hop-log writer rows/s against plain COPY.")

    @Option(help: "Hop rows per measurement.") var rows = 20_000
    @Option(help: "Concurrent writers (like in-flight deliveries across stages).") var writers = 256

    func run() async throws {
        let url = try Bench.environment("TIERFLOW_DATABASE_URL")
        let owner = try Bench.environment("TIERFLOW_DATABASE_OWNER_URL")
        let prefix = "bench-\(UInt32.random(in: 0...UInt32.max))-"
        let output = String(repeating: "x", count: 900)
        func hop(_ index: Int, _ tag: String) -> HopRecord {
            HopRecord(
                queryId: "\(prefix)\(tag)-\(index)", stage: "tier", tier: "edge", worker: "bench", startedAt: Date(),
                finishedAt: Date(), decision: "answered", score: 0.9, model: "simulated/bench", tokensIn: 120, tokensOut: 200,
                costUSD: 0.0001, detail: #"{"simulated":true}"#, output: "{\"answer\":\"\(output)\"}")
        }
        let writer = HopLogWriter(configuration: PostgresConfiguration(url: url, applicationName: "tierflow-bench-hoplog"), logger: Bench.logger)
        let units = (0..<rows).map { HopWrite(hop: hop($0, "w")) }
        let writers = self.writers
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<writers {
                group.addTask {
                    for index in stride(from: producer, to: units.count, by: writers) { _ = try await writer.write(units[index]) }
                }
            }
            try await group.waitForAll()
        }
        let writerSeconds = Bench.seconds(ContinuousClock.now - started)
        let batches = writer.statistics.committedBatches
        await writer.close()

        let connection = try await PostgresConnection.connect(configuration: PostgresConfiguration(url: url), logger: Bench.logger)
        let copyRows = (0..<rows).map { hop($0, "c") }
        let copyStart = ContinuousClock.now
        let copied = try await connection.copyHops(copyRows)
        let copySeconds = Bench.seconds(ContinuousClock.now - copyStart)
        await connection.close()

        let cleanup = try await PostgresConnection.connect(configuration: PostgresConfiguration(url: owner), logger: Bench.logger)
        _ = try await cleanup.execute("DELETE FROM hops WHERE query_id LIKE $1", [.string(prefix + "%")])
        await cleanup.close()

        let writerRate = Double(rows) / writerSeconds
        let copyRate = Double(copied) / copySeconds
        print(String(format: "hop-log writer: %d rows, %d concurrent writers, %d transactions: %.0f rows/s", rows, writers, batches, writerRate))
        print(String(format: "plain COPY:     %d rows in one statement: %.0f rows/s (writer = %.0f%% of COPY)", copied, copyRate, 100 * writerRate / copyRate))
        Bench.emit(["bench": "hoplog", "rows": rows, "writers": writers, "transactions": batches, "writer_rate": writerRate, "copy_rate": copyRate])
    }
}
