import Logging
import ServiceLifecycle
import Synchronization
import TierflowPipeline

/// Keeps the router's view of the system current: queue depths, consumers and today's spend.
///
/// A service that runs `probe` every `interval`; a failed probe keeps the last good state (and logs),
/// so a broker or database hiccup does not stop routing.
public final class SystemStateMonitor: Service, Sendable {
    private let state = Mutex(SystemState())
    private let interval: Duration
    private let probe: @Sendable () async throws -> SystemState
    private let logger: Logger

    public init(interval: Duration = .seconds(1), logger: Logger, probe: @escaping @Sendable () async throws -> SystemState) {
        self.interval = interval
        self.probe = probe
        self.logger = logger
    }

    /// The latest state.
    public var current: SystemState { state.withLock { $0 } }

    /// Sets the state directly (tests, or a router without a probe).
    public func update(_ newState: SystemState) {
        state.withLock { $0 = newState }
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.poll() }
    }

    private func poll() async throws {
        while !Task.isCancelled {
            do {
                update(try await probe())
            } catch is CancellationError {
                return
            } catch {
                logger.warning("system state probe failed; keeping the last state", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
