import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TierflowAMQP
import TierflowCommandSupport
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// `tierflow batch run FILE`: stream an export through the batch lane; running it again resumes.
struct BatchRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Re-diagnose every line of a CSV or JSON Lines export; interrupt and run again to continue.",
        discussion: """
            Fields: event_id, site, line, asset, asset_class, tag, alarm_type, fault_code, severity, message, timestamp,
            values (JSON object), values.NAME (a number), previous (the diagnosis the line carried). Unmapped fields
            are read from the column of the same name. Example (Tennessee-Eastman alarms):
              tierflow batch run alarms.csv --map alarm_type=type --map message=description --map asset=tag \\
                --set site=tep --set severity=medium
            Exit status: 0 done, 3 budget cap reached, 4 cancelled, 130 interrupted (run again to continue).
            """)

    @OptionGroup var options: WorkerOptions
    @Argument(help: "The export: .csv (with a header line) or JSON Lines.") var file: String
    @Option(help: "Batch id (default: derived from the file's name, size, start and the mapping).") var id: String?
    @Option(help: "csv or jsonl (default: from the extension).") var format: String?
    @Option(name: .customLong("map"), help: "FIELD=COLUMN (repeatable).") var maps: [String] = []
    @Option(name: .customLong("set"), help: "FIELD=VALUE, a constant for every line (repeatable).") var sets: [String] = []
    @Option(help: "A YAML mapping file: map: {FIELD: COLUMN}, set: {FIELD: VALUE}; flags win.") var mapping: String?
    @Option(help: "Budget cap for the batch in USD; publishing stops before the spend would pass it.") var budget: Double?
    @Option(help: "Rate cap: queries published per second.") var rate: Double?
    @Option(help: "Queries published and not yet answered, at most.") var maxInFlight = 1000
    @Option(help: "Spend cap per query in USD (default evaluator.max_cost_per_query_usd).") var maxCostPerQuery: Double?
    @Option(name: .shortAndLong, help: "When done, write the results here (.csv, else JSON Lines).") var output: String?
    @Option(help: "auto (a bar on a terminal, plain lines otherwise), bar, lines or none.") var progress = "auto"
    @Option(help: "Seconds between plain progress lines.") var progressInterval = 10.0

    func run() async throws {
        let config = try options.loadConfig()
        var batchMapping = try mapping.map { try BatchMapping.load(path: $0) } ?? BatchMapping()
        batchMapping = batchMapping.merging(try BatchMapping.flags(map: maps, set: sets))
        let sourceFormat: BatchSource.Format
        if let format {
            guard let parsed = BatchSource.Format(rawValue: format) else { throw ValidationError("--format: csv or jsonl") }
            sourceFormat = parsed
        } else {
            sourceFormat = BatchSource.Format(path: file)
        }
        // Fail fast on an unreadable file or a CSV header the mapping cannot use.
        _ = try BatchSource(path: file, format: sourceFormat, mapping: batchMapping)
        let batchId = try id ?? BatchQueryIdentity.defaultBatchId(path: file, mapping: batchMapping)

        var settings = BatchExecution(
            batchId: batchId, file: URL(fileURLWithPath: file).standardized.path, format: sourceFormat, mapping: batchMapping)
        settings.budget = budget
        settings.rate = rate
        settings.maxInFlight = max(1, maxInFlight)
        settings.maxCostPerQuery = maxCostPerQuery
        settings.output = output
        settings.progress = progress
        settings.progressInterval = progressInterval
        try await settings.run(config: config, options: options)
    }
}

/// One run of a batch from the command line: connections, the runner under a service group (SIGINT and
/// SIGTERM stop it after the current chunk), progress, the closing summary and the exit status.
struct BatchExecution {
    var batchId: String
    var file: String
    var format: BatchSource.Format
    var mapping: BatchMapping
    var budget: Double?
    var rate: Double?
    var maxInFlight = 1000
    var maxCostPerQuery: Double?
    var output: String?
    var progress = "auto"
    var progressInterval = 10.0

    init(batchId: String, file: String, format: BatchSource.Format, mapping: BatchMapping) {
        self.batchId = batchId
        self.file = file
        self.format = format
        self.mapping = mapping
    }

    /// Exit status: 0 done, 3 budget cap reached, 4 cancelled, 130 interrupted.
    func run(config: PipelineConfig, options: WorkerOptions) async throws {
        let logger = options.makeLogger(label: "tierflow.batch")
        let topology = PipelineTopology(config: config)
        let endpoint = try AMQPEndpoint(url: config.broker.url.value, heartbeatSeconds: config.broker.heartbeatSeconds)
            .named("tierflow-batch-\(ProcessInfo.processInfo.processIdentifier)")
        let publisher = try await AMQPPublisher(
            endpoint: endpoint, topology: topology.all, confirmWindow: config.broker.confirmWindow, logger: logger)
        let connection = try await BatchCommand.connect(config, options, label: "tierflow.batch")
        let runner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        var runOptions = BatchRunner.Options(
            start: .init(
                id: batchId, file: file, format: format.rawValue, mapping: mapping, budgetUSD: budget,
                ratePerSecond: rate, maxInFlight: maxInFlight, runner: runner),
            format: format)
        runOptions.maxCostPerQueryUSD = maxCostPerQuery
        let printer = ProgressPrinter(mode: progress, interval: progressInterval)
        FileHandle.standardError.write(Data("batch \(batchId): \(file)\n".utf8))
        let batch = BatchRunner(
            config: config, options: runOptions, publisher: publisher, store: BatchStore(connection: connection), logger: logger,
            onProgress: { printer.show($0) })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: batch, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            printer.finish()
            await publisher.close()
            await connection.close()
            throw error
        }
        printer.finish()
        await publisher.close()
        let outcome = batch.outcome ?? .interrupted
        let status = try await BatchStore(connection: connection).load(batchId)
        if let status { print(BatchCommand.describe(status)) }
        switch outcome {
        case .done:
            if let output {
                let written = try await BatchExporter(connection: connection).export(id: batchId, to: output)
                print("wrote \(written) lines to \(output)")
            }
            print("done: `tierflow batch report \(batchId)` summarises it")
            await connection.close()
        case .budget:
            print("stopped: the budget cap is reached; `tierflow batch resume \(batchId) --budget USD` continues with a higher cap")
            await connection.close()
            throw ExitCode(3)
        case .cancelled:
            print("cancelled")
            await connection.close()
            throw ExitCode(4)
        case .interrupted:
            print("interrupted: run the same command again (or `tierflow batch resume \(batchId)`) to continue")
            await connection.close()
            throw ExitCode(130)
        }
    }
}

/// Shows progress on standard error: a bar redrawn in place on a terminal, plain lines otherwise.
final class ProgressPrinter: Sendable {
    private let bar: Bool
    private let silent: Bool
    private let interval: Double
    private let last = Mutex<(Double, Bool)>((0, false))

    init(mode: String, interval: Double) {
        let terminal = isatty(STDERR_FILENO) == 1
        bar = mode == "bar" || (mode == "auto" && terminal)
        silent = mode == "none"
        self.interval = bar ? 0.25 : max(0.1, interval)
    }

    func show(_ progress: BatchProgress) {
        guard !silent else { return }
        let now = Date().timeIntervalSince1970
        let due = last.withLock { state -> Bool in
            guard now - state.0 >= interval else { return false }
            state = (now, true)
            return true
        }
        guard due else { return }
        let text = bar ? "\r\u{1B}[2K" + progress.bar() : progress.line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        if bar && last.withLock({ $0.1 }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
