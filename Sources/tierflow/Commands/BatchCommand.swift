import ArgumentParser
import Foundation
import Logging
import TierflowCommandSupport
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// `tierflow batch …`: re-diagnose historical alarm and work-order exports at low priority (docs/batch.md).
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Re-diagnose a CSV / JSON Lines export in the batch lane: resumable, capped, with progress and a report.",
        subcommands: [
            BatchRunCommand.self, BatchStatusCommand.self, BatchPauseCommand.self, BatchResumeCommand.self,
            BatchCancelCommand.self, BatchReportCommand.self, BatchExportCommand.self,
        ])

    /// A connection with the workers' least-privilege role.
    static func connect(_ config: PipelineConfig, _ options: WorkerOptions, label: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-batch"),
            logger: options.makeLogger(label: label))
    }

    /// The batch `id`, or a validation error naming it.
    static func load(_ id: String, store: BatchStore) async throws -> BatchStatus {
        guard let status = try await store.load(id) else { throw ValidationError("no batch \"\(id)\" (see `tierflow batch status`)") }
        return status
    }

    static func describe(_ status: BatchStatus) -> String {
        let alive = status.isAlive() ? "running in \(status.runner ?? "?")" : "no process is running it"
        let progress = BatchProgress(status: status, linesPerSecond: 0, tiers: [], elapsedSeconds: 0)
        var text = "\(status.id)  \(status.state)  \(progress.finished)/\(progress.total) lines (\(status.malformed) skipped)  "
            + "\(status.doneQueries)/\(status.queries) queries  " + String(format: "$%.4f", status.costUSD)
        if let budget = status.budgetUSD { text += String(format: " of $%.4f", budget) }
        if let rate = status.ratePerSecond { text += String(format: "  rate cap %.0f/s", rate) }
        if status.state == .running || status.state == .paused { text += "  (\(alive))" }
        return text + "  \(status.file)"
    }
}

struct BatchStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a batch (or every batch, newest first).")
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The batch id (omit to list batches).") var id: String?

    func run() async throws {
        let config = try options.loadConfig()
        let connection = try await BatchCommand.connect(config, options, label: "tierflow.batch")
        let store = BatchStore(connection: connection)
        if let id {
            print(BatchCommand.describe(try await BatchCommand.load(id, store: store)))
        } else {
            for status in try await store.list() { print(BatchCommand.describe(status)) }
        }
        await connection.close()
    }
}

struct BatchPauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause a running batch: it stops publishing; queries in flight finish.")
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The batch id.") var id: String

    func run() async throws {
        try await BatchStateChange.apply(options, id: id, to: .paused, from: [.running])
    }
}

struct BatchResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused or interrupted batch, or one the budget cap stopped (with a higher --budget).",
        discussion: "If no process is running the batch, this one runs it (as `batch run` would) until it ends.")
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The batch id.") var id: String
    @Option(help: "A new budget cap in USD.") var budget: Double?
    @Flag(help: "Only change the state; do not run the batch here.") var noRun = false
    @Option(help: "auto, bar, lines or none.") var progress = "auto"

    func run() async throws {
        let config = try options.loadConfig()
        let connection = try await BatchCommand.connect(config, options, label: "tierflow.batch")
        let store = BatchStore(connection: connection)
        let before = try await BatchCommand.load(id, store: store)
        await connection.close()
        if before.state != .running {
            try await BatchStateChange.apply(options, id: id, to: .running, from: [.paused, .budget], budget: budget, hint: false)
        }
        guard !noRun else { return }
        guard let mapping = before.mapping, let format = BatchSource.Format(rawValue: before.format) else {
            throw ValidationError("batch \(id) has no stored mapping; run it with `tierflow batch run FILE --id \(id)`")
        }
        var execution = BatchExecution(batchId: id, file: before.file, format: format, mapping: mapping)
        execution.budget = budget
        execution.maxInFlight = before.maxInFlight
        execution.progress = progress
        do {
            try await execution.run(config: config, options: options)
        } catch let error as BatchError where error.code == .alreadyRunning {
            print("\(error.message): it continues there")
        }
    }
}

struct BatchCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a batch for good: its runner stops; the lines answered so far stay.")
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The batch id.") var id: String

    func run() async throws {
        try await BatchStateChange.apply(options, id: id, to: .cancelled, from: [.running, .paused, .budget])
    }
}

/// pause / resume / cancel: one state change, checked against the batch's current state.
enum BatchStateChange {
    static func apply(
        _ options: WorkerOptions, id: String, to state: BatchStatus.State, from: [BatchStatus.State], budget: Double? = nil,
        hint: Bool = true
    ) async throws {
        let config = try options.loadConfig()
        let connection = try await BatchCommand.connect(config, options, label: "tierflow.batch")
        defer { Task { await connection.close() } }
        let store = BatchStore(connection: connection)
        let before = try await BatchCommand.load(id, store: store)
        guard from.contains(before.state) else {
            throw ValidationError("batch \(id) is \(before.state); \(state == .running ? "resume" : "this") needs it \(from.map(\.rawValue).joined(separator: " or "))")
        }
        let after = try await store.setState(id, to: state, from: from, budgetUSD: budget) ?? before
        print(BatchCommand.describe(after))
        if hint && state == .running && !after.isAlive() {
            print("no process is running it: continue with `tierflow batch run \(after.file) --id \(id)`")
        }
    }
}

struct BatchReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise a batch: answers per layer and tier, cost against the top tier, confidence, changed diagnoses.")
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The batch id.") var id: String
    @Option(help: "Also write a self-contained HTML report (inline SVG charts) here.") var html: String?

    func run() async throws {
        let config = try options.loadConfig()
        let connection = try await BatchCommand.connect(config, options, label: "tierflow.batch")
        guard let report = try await BatchReport.load(id: id, config: config, connection: connection) else {
            await connection.close()
            throw ValidationError("no batch \"\(id)\" (see `tierflow batch status`)")
        }
        await connection.close()
        print(report.render())
        if let html {
            try BatchHTMLReport(report: report).render().write(toFile: html, atomically: true, encoding: .utf8)
            print("wrote \(html)")
        }
    }
}

struct BatchExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write one line per input line (diagnosis or skip reason) to JSON Lines or CSV.")
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The batch id.") var id: String
    @Option(name: .shortAndLong, help: "Output file: .csv for CSV, otherwise JSON Lines.") var output: String

    func run() async throws {
        let config = try options.loadConfig()
        let connection = try await BatchCommand.connect(config, options, label: "tierflow.batch")
        let written = try await BatchExporter(connection: connection).export(id: id, to: output)
        await connection.close()
        print("wrote \(written) lines to \(output)")
    }
}
