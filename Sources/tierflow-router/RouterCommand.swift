import ArgumentParser
import TierflowCommandSupport
import TierflowPipeline
import TierflowServices

/// `tierflow-router`: picks each query's start tier, locally, from the query and the system's state.
@main
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow-router",
        abstract: "Route each query to the cheapest tier likely to answer it well (no prompt leaves the machine).")

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.router")
        let context = try await WorkerContext.connect(config: config, process: "router", logger: logger)
        let probe = try await SystemStateProbe(config: config, endpoint: context.endpoint, logger: logger)
        let monitor = SystemStateMonitor(logger: logger) { try await probe.read() }
        let scoring = LearnedRouterSetup.scorer(config: config, logger: logger)
        let stage = RouterStage(config: config, scorer: scoring.scorer, state: monitor)
        try await context.run(scoring.services + [monitor, context.runner(queue: context.topology.routerQueue, handler: stage)])
        await probe.close()
    }
}
