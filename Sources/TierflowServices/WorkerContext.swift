import Foundation
import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowCore
import TierflowPostgres

/// What every worker process shares: its configuration, one publisher connection and one hop-log writer.
public struct WorkerContext: Sendable {
    public let config: PipelineConfig
    public let topology: PipelineTopology
    public let endpoint: AMQPEndpoint
    public let publisher: AMQPPublisher
    public let writer: HopLogWriter
    public let logger: Logger

    /// Connects to the broker (retrying while it is not up yet) and starts the hop-log writer.
    public static func connect(config: PipelineConfig, process: String, logger: Logger) async throws -> WorkerContext {
        let topology = PipelineTopology(config: config)
        let endpoint = try AMQPEndpoint(url: config.broker.url.value, heartbeatSeconds: config.broker.heartbeatSeconds)
            .named("tierflow-\(process)-\(ProcessInfo.processInfo.processIdentifier)")
        let publisher = try await retrying("broker", logger: logger) {
            try await AMQPPublisher(
                endpoint: endpoint, topology: topology.all, confirmWindow: config.broker.confirmWindow, logger: logger)
        }
        let writer = HopLogWriter(
            configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-\(process)"),
            logger: logger, maxBatchSize: config.database.maxBatch)
        return WorkerContext(config: config, topology: topology, endpoint: endpoint, publisher: publisher, writer: writer, logger: logger)
    }

    /// A runner for `handler` consuming `queue` and, while `queue` is empty, its batch lane (if it has one).
    public func runner(queue: String, handler: any StageHandler) -> StageRunner {
        StageRunner(
            input: .init(
                endpoint: endpoint, queue: queue, prefetch: config.queues.prefetch, topology: topology.all,
                deadLetterExchange: topology.deadLetterExchange, batchQueue: topology.batchLane(of: queue),
                batchPrefetch: config.queues.batchPrefetch),
            handler: handler, publisher: publisher, writer: writer, logger: logger)
    }

    /// Runs `services` until SIGTERM or SIGINT, then drains them and closes the connections.
    public func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await publisher.close()
        await writer.close()
    }

    /// Retries `attempt` while the peer refuses connections, for up to a minute.
    static func retrying<T>(_ what: String, logger: Logger, _ attempt: () async throws -> T) async throws -> T {
        var failures = 0
        while true {
            do {
                return try await attempt()
            } catch let error as AMQPError where error.code == .connectionFailed && failures < 60 {
                failures += 1
                logger.notice("waiting for the \(what)", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
