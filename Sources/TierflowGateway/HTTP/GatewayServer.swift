import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TierflowCore
import TierflowMetrics

/// The HTTP server: Hummingbird routes onto ``GatewayHandlers``.
///
/// | endpoint | what |
/// |---|---|
/// | `POST /v1/chat/completions` | OpenAI chat completions, plain or `stream: true` |
/// | `GET /v1/models` | the routing policies |
/// | `POST /v1/route` | the routing decision only |
/// | `POST /v1/feedback` | rating / correction of an answered query |
/// | `GET /health` | liveness, no key |
///
/// With `ops.metrics_port` set, `/metrics`, `/health` and `/ready` are served on that port too (``Gateway``).
public enum GatewayServer {
    /// The router with every endpoint; with `metrics`, every request is counted and timed.
    public static func router(handlers: GatewayHandlers, metrics: GatewayMetrics? = nil) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        if let metrics { router.add(middleware: GatewayMetricsMiddleware(metrics: metrics)) }
        router.add(middleware: OpenAIErrorMiddleware(handlers: handlers))
        router.post("/v1/chat/completions") { request, _ in try await handlers.chatCompletions(request) }
        router.post("/chat/completions") { request, _ in try await handlers.chatCompletions(request) }
        router.get("/v1/models") { request, _ in try await handlers.models(request) }
        router.post("/v1/route") { request, _ in try await handlers.route(request) }
        router.post("/v1/feedback") { request, _ in try await handlers.feedback(request) }
        router.get("/health") { request, _ in handlers.health(request) }
        return router
    }

    /// The application listening on `host:port` (port 0 picks a free one, reported to `onRunning`).
    public static func application(
        handlers: GatewayHandlers, host: String, port: Int, metrics: GatewayMetrics? = nil, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol & Service {
        Application(
            router: router(handlers: handlers, metrics: metrics),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
