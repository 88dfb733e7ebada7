import ArgumentParser
import Foundation
import TierflowAMQP
import TierflowCommandSupport
import TierflowHTTP
import TierflowOps
import TierflowPostgres
import TierflowServices

/// `tierflow status`: one screen — queues and consumers per stage and tier, throughput, tier mix,
/// latency, escalations and today's spend against the budget.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show queues, throughput, tier mix, latency, escalations and spend on one screen.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "Minutes of history the rates, shares and percentiles cover.")
    var window: Double = 15

    @Flag(help: "Redraw the screen every --interval seconds until interrupted.")
    var watch = false

    @Option(help: "Seconds between redraws with --watch.")
    var interval: Double = 2

    @Flag(help: "Print the figures as JSON instead of the screen.")
    var json = false

    func validate() throws {
        guard window > 0 else { throw ValidationError("--window: expected minutes > 0") }
        guard interval >= 0.2 else { throw ValidationError("--interval: expected at least 0.2 seconds") }
    }

    func run() async throws {
        let config = try options.loadConfig()
        var logger = options.makeLogger(label: "tierflow.status")
        if logger.logLevel < .warning { logger.logLevel = .warning }  // keep the screen clean
        let topology = PipelineTopology(config: config)
        var specs = [
            StatusCollector.QueueSpec(stage: "layer0", name: topology.ingestQueue),
            StatusCollector.QueueSpec(stage: "router", name: topology.routerQueue),
        ]
        specs += config.tiers.map { StatusCollector.QueueSpec(stage: "tier", tier: $0.name, name: topology.tierQueue($0.name)) }
        specs += [
            StatusCollector.QueueSpec(stage: "evaluator", name: topology.evaluatorQueue),
            StatusCollector.QueueSpec(stage: "dead", name: topology.deadLetterQueue),
        ]
        // Each stage's batch lane, served only while its live queue is empty.
        specs += specs.compactMap { spec in
            topology.batchLane(of: spec.name).map { StatusCollector.QueueSpec(stage: "\(spec.stage) (batch)", tier: spec.tier, name: $0) }
        }
        let collector = StatusCollector(namespace: config.namespace, queues: specs, dailyBudgetUSD: config.router.dailyBudgetUSD)
        let database = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-status"), logger: logger)
        let http = HTTPClient(logger: logger)
        var inspector: AMQPQueueInspector?
        let source: StatusCollector.QueueSource
        if config.ops.managementURL.value.isEmpty {
            let opened = try await AMQPQueueInspector(
                endpoint: try AMQPEndpoint(url: config.broker.url.value).named("tierflow-status"), logger: logger)
            inspector = opened
            source = .amqp { name in
                let status = try await opened.status(ofQueue: name)
                return (status.messageCount, status.consumerCount)
            }
        } else {
            source = .management(
                try ManagementAPIClient(
                    managementURL: config.ops.managementURL,
                    vhost: ManagementAPIClient.vhost(ofAMQPURL: config.broker.url.value), http: http))
        }
        do {
            repeat {
                let snapshot = try await collector.snapshot(
                    database: database, queueSource: source, window: .milliseconds(Int64(window * 60_000)))
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    encoder.dateEncodingStrategy = .iso8601
                    emit(String(decoding: try encoder.encode(snapshot), as: UTF8.self) + "\n")
                } else {
                    emit((watch ? "\u{1B}[H\u{1B}[2J" : "") + StatusScreen.render(snapshot))
                }
                if watch { try await Task.sleep(for: .milliseconds(Int64(interval * 1000))) }
            } while watch
        } catch {
            await finish(database, http, inspector)
            throw error
        }
        await finish(database, http, inspector)
    }

    /// Writes at once (unbuffered), so each screen shows even when the output is a pipe and ^C ends the watch.
    private func emit(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private func finish(_ database: PostgresConnection, _ http: HTTPClient, _ inspector: AMQPQueueInspector?) async {
        await database.close()
        await http.shutdown()
        await inspector?.close()
    }
}
