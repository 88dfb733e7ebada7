import Logging
import TierflowAMQP
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// Reads the system's state for the router: each tier queue's depth and consumers, and today's spend.
public final class SystemStateProbe: Sendable {
    private let inspector: AMQPQueueInspector
    private let database: PostgresConnection
    private let queues: [(tier: String, queue: String)]

    public init(config: PipelineConfig, endpoint: AMQPEndpoint, logger: Logger) async throws {
        inspector = try await AMQPQueueInspector(endpoint: endpoint.named("tierflow-router-probe"), logger: logger)
        database = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-router-probe"),
            logger: logger)
        let topology = PipelineTopology(config: config)
        queues = config.tiers.map { ($0.name, topology.tierQueue($0.name)) }
    }

    /// The current state.
    public func read() async throws -> SystemState {
        var loads: [String: SystemState.TierLoad] = [:]
        for (tier, queue) in queues {
            let status = try await inspector.status(ofQueue: queue)
            loads[tier] = .init(waiting: status.messageCount, consumers: status.consumerCount)
        }
        return SystemState(loads: loads, spentTodayUSD: try await TierSpend.today(on: database))
    }

    public func close() async {
        await inspector.close()
        await database.close()
    }
}
