import Logging
import ServiceLifecycle
import TierflowPipeline
import TierflowPostgres

/// Keeps a running router on the active model: polls `router_models` every `interval` and, when the
/// active version changes, loads it (off the cooperative pool) and swaps it into the scorer.
///
/// With no active version the scorer returns to `fallback` (the shipped model file). A version that
/// fails to load is logged and skipped until it changes again; a database outage keeps the current model.
public final class RouterModelReloader: Service, Sendable {
    private let scorer: SwappableScorer
    private let fallback: @Sendable () -> (any TierScorer)
    private let interval: Duration
    private let logger: Logger
    private let connect: @Sendable () async throws -> PostgresConnection

    /// Reloads into `scorer`; `connect` opens the database connection on first use.
    public init(
        scorer: SwappableScorer, interval: Duration = .seconds(5), logger: Logger,
        fallback: @escaping @Sendable () -> (any TierScorer),
        connect: @escaping @Sendable () async throws -> PostgresConnection
    ) {
        self.scorer = scorer
        self.interval = interval
        self.logger = logger
        self.fallback = fallback
        self.connect = connect
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.poll() }
    }

    private func poll() async throws {
        var connection: PostgresConnection?
        // The version last acted on (loaded, or found unusable); nil: the fallback.
        var handled: Int? = scorer.version
        while !Task.isCancelled {
            do {
                let open: PostgresConnection
                if let connection {
                    open = connection
                } else {
                    open = try await connect()
                    connection = open
                }
                let store = RouterModelStore(connection: open)
                let active = try await store.activeVersion()
                if active != handled {
                    do {
                        try await switchTo(active, store: store)
                    } catch let error as LearnedRouterError {
                        logger.error("router model not usable; keeping the current one", metadata: ["error": "\(error)"])
                    }
                    handled = active
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("router model check failed; keeping the current one", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
        await connection?.close()
    }

    /// Loads and swaps to `version`, or back to the fallback when nil.
    func switchTo(_ version: Int?, store: RouterModelStore) async throws {
        guard let version else {
            scorer.swap(to: fallback(), version: nil)
            logger.notice("no active router model; using the model file", metadata: ["router.scorer": "\(scorer.name)"])
            return
        }
        let model = try await store.load(version: version)
        let learned = try await OffThreadWork.run { try LearnedScorer(model: model, name: "learned-v\(version):\(model.name)") }
        scorer.swap(to: learned, version: version)
        logger.notice("router model switched", metadata: ["router.version": "\(version)", "router.model": "\(model.name)"])
    }
}
