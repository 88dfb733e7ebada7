import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import TierflowCore

/// The operations endpoints of one process, as a service of its group.
///
/// | endpoint | answer |
/// |---|---|
/// | `GET /metrics` | every metric in Prometheus text format |
/// | `GET /health` | 200 while the process runs (liveness) |
/// | `GET /ready` | 200 when connected to the broker and the database and consuming, else 503 |
public struct OpsServer: Service {
    private let host: String
    private let port: Int
    private let registry: PrometheusCollectorRegistry
    private let readiness: @Sendable () -> Bool
    private let logger: Logger

    /// A server on `host:port` exposing `registry`; `readiness` answers `/ready`.
    public init(
        host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger,
        readiness: @escaping @Sendable () -> Bool
    ) {
        self.host = host
        self.port = port
        self.registry = registry
        self.readiness = readiness
        self.logger = logger
    }

    /// The server `ops` configures (`metrics_host`, `metrics_port`), exposing this process's metrics
    /// (bootstrapping them if that has not happened yet).
    public init(ops: OpsConfig, logger: Logger, readiness: @escaping @Sendable () -> Bool) {
        self.init(host: ops.metricsHost, port: ops.metricsPort, registry: MetricsBootstrap.once(), logger: logger, readiness: readiness)
    }

    /// The routes, for tests and embedding.
    public static func router(
        registry: PrometheusCollectorRegistry, readiness: @escaping @Sendable () -> Bool
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 << 10)
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/health") { _, _ in Self.text(.ok, "ok\n") }
        router.get("/ready") { _, _ in readiness() ? Self.text(.ok, "ready\n") : Self.text(.serviceUnavailable, "not ready\n") }
        return router
    }

    public func run() async throws {
        let logger = self.logger
        let host = self.host
        let app = Application(
            router: Self.router(registry: registry, readiness: readiness),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                logger.info(
                    "serving /metrics /health /ready",
                    metadata: ["http.host": "\(host)", "http.port": "\(channel.localAddress?.port ?? -1)"])
            },
            logger: logger)
        try await app.run()
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
