import ArgumentParser
import TierflowCommandSupport
import TierflowHTTP
import TierflowPipeline
import TierflowServices

/// `tierflow-worker --tier NAME`: one replica of a tier's worker pool.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow-worker",
        abstract: "Answer queries addressed to one tier with its model; run as many replicas as the tier needs.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "The tier this worker serves (a name from pipeline.yaml).")
    var tier: String

    func run() async throws {
        let config = try options.loadConfig()
        guard let tierConfig = config.tier(named: tier) else {
            throw ValidationError("no tier named \"\(tier)\" in \(options.config); tiers are \(config.tiers.map(\.name).joined(separator: ", "))")
        }
        let logger = options.makeLogger(label: "tierflow.worker.\(tier)")
        if tierConfig.isSimulated {
            logger.notice("tier \(tier) uses the SIMULATED backend (no endpoint configured): answers are not from a real model")
        }
        let context = try await WorkerContext.connect(config: config, process: "worker-\(tier)", logger: logger)
        let http = HTTPClient(logger: logger)
        let backend = BackendFactory.make(tier: tierConfig, httpClient: http, logger: logger)
        let stage = TierWorkerStage(config: config, tier: tierConfig, backend: backend, writer: context.writer, logger: logger)
        try await context.run([
            context.runner(queue: context.topology.tierQueue(tier), handler: stage, prefetch: config.queues.prefetch(for: tierConfig))
        ])
        await http.shutdown()
    }
}
