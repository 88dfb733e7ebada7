import Foundation
import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowCore
import TierflowOps
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
    /// With `ops.metrics_port` set it first installs the Prometheus metrics backend, so every stage created
    /// after it records its metrics. Reads `TIERFLOW_FAULT_CRASH` (``FaultInjection``): a malformed value
    /// stops the process.
    public static func connect(config: PipelineConfig, process: String, logger: Logger) async throws -> WorkerContext {
        StartupSignals.install()
        if let trigger = try FaultInjection.arm() {
            logger.warning("fault injection armed: SIGKILL at \(trigger.point), message \(trigger.count)")
        }
        if config.ops.metricsPort != 0 { MetricsBootstrap.once() }
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

    /// A runner for `handler` consuming `queue` and, while `queue` is empty, its batch lane (if it has one);
    /// it holds `prefetch` deliveries at once (`queues.prefetch` when nil).
    public func runner(queue: String, handler: any StageHandler, prefetch: Int? = nil) -> StageRunner {
        StageRunner(
            input: .init(
                endpoint: endpoint, queue: queue, prefetch: prefetch ?? config.queues.prefetch, topology: topology.all,
                deadLetterExchange: topology.deadLetterExchange, batchQueue: topology.batchLane(of: queue),
                batchPrefetch: config.queues.batchPrefetch, batchLiveQuiet: .milliseconds(config.queues.batchLiveQuietMs),
                batchRateWhileLive: Double(config.queues.batchRateWhileLive)),
            handler: handler, publisher: publisher, writer: writer, logger: logger)
    }

    /// Runs `services` until SIGTERM or SIGINT, then drains them and closes the connections. A
    /// ``WorkerHealthReporter`` runs beside them and logs when the database or broker goes away and comes back.
    ///
    /// With `ops.metrics_port` set, `/metrics`, `/health` and `/ready` are served too, until the drain is over.
    public func run(_ services: [any Service]) async throws {
        var services = services
        if config.ops.metricsPort != 0 {
            // First in the group, so it is shut down last: metrics stay readable while the stages drain.
            services.insert(opsServer(for: services), at: 0)
        }
        let health = WorkerHealthReporter(writer: writer, publisher: publisher, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: (services + [health]).map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                // A signal that came while connecting: drain at once. The group's own handlers take over
                // within moments of starting; look for a second in case one slips in before they do.
                for _ in 0..<20 {
                    if StartupSignals.requested {
                        logger.notice("a stop signal came while starting: draining")
                        await group.triggerGracefulShutdown()
                        return
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            try await tasks.waitForAll()
        }
        await publisher.close()
        await writer.close()
    }

    /// The ops server; ready while the publisher and the hop-log writer are connected and every stage consumes.
    func opsServer(for services: [any Service]) -> OpsServer {
        let runners = services.compactMap { $0 as? StageRunner }
        let publisher = self.publisher
        let writer = self.writer
        return OpsServer(ops: config.ops, logger: logger) {
            publisher.isConnected && writer.isHealthy && runners.allSatisfy(\.isReady)
        }
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
