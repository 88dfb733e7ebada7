import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowPostgres

/// Reports a worker's health in its log when it changes: whether the database and the broker are reachable.
///
/// While the database is unreachable a worker pauses by itself — hop commits wait and are retried, so no
/// input is acknowledged — and this says so once (`unhealthy: ...`) and again when it is back
/// (`healthy again`). The database is probed with a key lookup every `interval`, so a worker with no
/// traffic notices an outage too.
public final class WorkerHealthReporter: Service, Sendable {
    private let writer: HopLogWriter
    private let publisher: AMQPPublisher
    private let interval: Duration
    private let logger: Logger

    public init(writer: HopLogWriter, publisher: AMQPPublisher, interval: Duration = .seconds(1), logger: Logger) {
        self.writer = writer
        self.publisher = publisher
        self.interval = interval
        self.logger = logger
    }

    /// What is wrong right now; empty when healthy.
    public func problems() async -> [String] {
        var problems: [String] = []
        let databaseReachable: Bool
        do {
            _ = try await writer.existingHop(queryId: "", stage: "health")
            databaseReachable = true
        } catch {
            databaseReachable = false
        }
        if !databaseReachable || !writer.isHealthy { problems.append("database unreachable (hop commits wait; nothing is acknowledged)") }
        if !publisher.isConnected { problems.append("broker unreachable (reconnecting)") }
        if publisher.isBlocked { problems.append("broker blocked publishing (resource alarm)") }
        return problems
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.watch() }
    }

    private func watch() async throws {
        var reported: [String]? = nil
        var unhealthySince: ContinuousClock.Instant? = nil
        while !Task.isCancelled {
            let problems = await problems()
            if problems != reported {
                if problems.isEmpty {
                    if let since = unhealthySince {
                        logger.notice("healthy again", metadata: ["health.unhealthy_ms": "\((ContinuousClock.now - since).components.seconds * 1000)"])
                    }
                    unhealthySince = nil
                } else {
                    if unhealthySince == nil { unhealthySince = .now }
                    logger.warning("unhealthy: \(problems.joined(separator: "; "))")
                }
                reported = problems
            }
            try await Task.sleep(for: interval)
        }
    }
}
