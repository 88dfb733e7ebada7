import ArgumentParser
import TierflowAMQP
import TierflowCommandSupport
import TierflowServices

/// `tierflow setup`: declares the broker topology (exchanges, quorum queues, bindings) as the admin user.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup", abstract: "Declare the pipeline's exchanges, queues and bindings on the broker.")

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.setup")
        let endpoint = try AMQPEndpoint(url: config.broker.adminURL.value).named("tierflow-setup")
        let inspector = try await AMQPQueueInspector(endpoint: endpoint, logger: logger)
        let topology = PipelineTopology(config: config).all
        try await inspector.declare(topology)
        await inspector.close()
        print("broker: declared \(topology.exchanges.count) exchanges, \(topology.queues.count) queues, \(topology.bindings.count) bindings")
    }
}
