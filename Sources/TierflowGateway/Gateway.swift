import Foundation
import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowCore
import TierflowMetrics
import TierflowOps
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// A running gateway's parts: its broker and database connections, its in-memory state and its services.
///
/// ``connect(config:scorer:logger:)`` opens a publisher, a reply-queue consumer and a database connection
/// (as the worker roles) and loads the keys; ``services(port:onRunning:)`` are what a `ServiceGroup` runs —
/// the reply consumer, the key/spend refresher and the HTTP server, which shuts down first and lets
/// in-flight requests finish. With `gateway.rate_limit.shared` the shared limiter runs too (it gives unused
/// tokens back). Keys, spend, idempotency keys and shared buckets share the one database connection.
public struct Gateway: Sendable {
    public let config: PipelineConfig
    public let handlers: GatewayHandlers
    public let dispatcher: PipelineDispatcher
    public let maintenance: GatewayMaintenance
    public let keys: APIKeyRegistry
    public let ledger: SpendLedger
    public let store: PostgresGatewayStore
    /// The shared rate limiter (nil with `gateway.rate_limit.shared: false`: one bucket per process).
    public let sharedLimiter: SharedRateLimiter?
    /// Request metrics, with `ops.metrics_port` set.
    public let metrics: GatewayMetrics?
    let publisher: AMQPPublisher
    let connection: PostgresConnection
    let logger: Logger

    /// Connects to the broker and the database and loads the keys (retrying for up to a minute while
    /// either is not up yet).
    public static func connect(config: PipelineConfig, scorer: any TierScorer, logger: Logger) async throws -> Gateway {
        var metrics: GatewayMetrics?
        if config.ops.metricsPort != 0 {
            // Before any metric object exists: those created earlier would stay no-ops.
            MetricsBootstrap.once()
            metrics = GatewayMetrics()
        }
        let topology = PipelineTopology(config: config)
        let endpoint = try AMQPEndpoint(url: config.broker.url.value, heartbeatSeconds: config.broker.heartbeatSeconds)
            .named("tierflow-gateway-\(ProcessInfo.processInfo.processIdentifier)")
        let publisher = try await retrying("broker", logger: logger) {
            try await AMQPPublisher(
                endpoint: endpoint, topology: topology.all, confirmWindow: config.broker.confirmWindow, logger: logger)
        }
        let replies = try await AMQPConsumer.replyQueue(endpoint: endpoint, prefetch: max(256, config.queues.prefetch), logger: logger)
        let connection = try await retrying("database", logger: logger) {
            try await PostgresConnection.connect(
                configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-gateway"),
                logger: logger)
        }
        let store = PostgresGatewayStore(connection: connection)
        let keys = APIKeyRegistry(config: config.gateway)
        let ledger = SpendLedger()
        let maintenance = GatewayMaintenance(
            store: store, keys: keys, ledger: ledger, interval: .milliseconds(Int(config.gateway.keyRefreshSeconds * 1000)),
            idempotency: store, logger: logger)
        try await maintenance.refresh()
        let dispatcher = PipelineDispatcher(
            publisher: publisher, replies: replies, exchange: topology.ingestExchange,
            maxMessageBytes: config.queues.maxMessageBytes, logger: logger)
        let sharedLimiter = config.gateway.rateLimitShared
            ? SharedRateLimiter(
                store: store, batch: config.gateway.rateLimitBatch, allowanceSeconds: config.gateway.rateLimitAllowanceSeconds,
                logger: logger)
            : nil
        let handlers = GatewayHandlers(
            config: config, dispatcher: dispatcher, keys: keys, limiter: sharedLimiter ?? RateLimiter(), ledger: ledger,
            store: store, idempotency: store, advisor: RouteAdvisor(config: config, scorer: scorer), logger: logger)
        logger.info("gateway ready", metadata: [
            "gateway.keys": "\(keys.count)", "gateway.require_api_key": "\(config.gateway.requireAPIKey)",
            "gateway.rate_limit_shared": "\(config.gateway.rateLimitShared)",
        ])
        return Gateway(
            config: config, handlers: handlers, dispatcher: dispatcher, maintenance: maintenance, keys: keys, ledger: ledger,
            store: store, sharedLimiter: sharedLimiter, metrics: metrics, publisher: publisher, connection: connection,
            logger: logger)
    }

    /// The services to run, in start order (shutdown runs in reverse: the HTTP server first). With
    /// `ops.metrics_port` set, the ops server (`/metrics`, `/health`, `/ready`) comes first, so it stops last.
    public func services(port: Int? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        let application = GatewayServer.application(
            handlers: handlers, host: config.gateway.host, port: port ?? config.gateway.port, metrics: metrics, logger: logger,
            onRunning: onRunning)
        var services: [any Service] = [dispatcher, maintenance]
        if let sharedLimiter { services.append(sharedLimiter) }
        services.append(application)
        if config.ops.metricsPort != 0 { services.insert(opsServer(), at: 0) }
        return services
    }

    /// Ready while connected to the broker (publisher and reply queue) and the last database round succeeded.
    public var isReady: Bool {
        publisher.isConnected && dispatcher.replies.isConnected && maintenance.isDatabaseReachable
    }

    private func opsServer() -> OpsServer {
        let gateway = self
        return OpsServer(ops: config.ops, logger: logger) { gateway.isReady }
    }

    /// Closes the publisher and the database connection (after the services stopped).
    public func close() async {
        await publisher.close()
        await connection.close()
    }

    static func retrying<T>(_ what: String, logger: Logger, _ attempt: () async throws -> T) async throws -> T {
        var failures = 0
        while true {
            do {
                return try await attempt()
            } catch where failures < 60 && Self.isConnectionFailure(error) {
                failures += 1
                logger.notice("waiting for the \(what)", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    static func isConnectionFailure(_ error: any Error) -> Bool {
        if let error = error as? AMQPError { return error.code == .connectionFailed }
        if let error = error as? PostgresError { return error.code == .connectionFailed }
        return false
    }
}
