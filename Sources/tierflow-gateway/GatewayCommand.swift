import ArgumentParser
import ServiceLifecycle
import TierflowCommandSupport
import TierflowGateway
import TierflowServices

/// `tierflow-gateway`: the OpenAI-compatible HTTP front door to the pipeline.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow-gateway",
        abstract: "Serve OpenAI's chat completions API (plus routing-only and feedback endpoints) in front of the pipeline.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "Listen on this port instead of gateway.port (0 picks a free one).")
    var port: Int?

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.gateway")
        // The same scorer the router stage uses (router.kind), so /v1/route agrees with what the pipeline does.
        let scoring = LearnedRouterSetup.scorer(config: config, logger: logger)
        let gateway = try await Gateway.connect(config: config, scorer: scoring.scorer, logger: logger)
        let services = scoring.services + gateway.services(port: port) { port in
            logger.notice("listening", metadata: ["http.host": "\(config.gateway.host)", "http.port": "\(port)"])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await gateway.close()
    }
}
