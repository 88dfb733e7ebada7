import ArgumentParser
import TierflowCommandSupport
import TierflowPostgres
import TierflowServices

/// `tierflow-layer0`: ingest and Layer 0 — answers from the knowledge base when sure, else passes on.
@main
struct Layer0Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow-layer0", abstract: "Ingest queries and answer those the knowledge base is sure of.")

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.layer0")
        let context = try await WorkerContext.connect(config: config, process: "layer0", logger: logger)
        let knowledge = KnowledgeBase(awaitingLoad: true)
        let loader = KnowledgeBaseLoader(
            knowledge: knowledge,
            configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-layer0-kb"),
            interval: .milliseconds(Int(config.layer0.reloadSeconds * 1000)), logger: logger)
        let stage = Layer0Stage(config: config, knowledge: knowledge)
        try await context.run([loader, context.runner(queue: context.topology.ingestQueue, handler: stage)])
    }
}
