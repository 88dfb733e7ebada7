import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the in-memory keys and spend in step with the database: every `interval` it writes the spend
/// seen since the last time, then re-reads the keys and today's totals (so revocations and other
/// gateways' spend arrive), and deletes idempotency keys past their retention window. A failed round keeps
/// the old state and tries again next time.
public struct GatewayMaintenance: Service {
    let store: any GatewayStore
    let keys: APIKeyRegistry
    let ledger: SpendLedger
    let interval: Duration
    let idempotency: (any IdempotencyStore)?
    let logger: Logger
    private let lastRound = LastRound()

    private final class LastRound: Sendable {
        let succeeded = Mutex(true)
    }

    /// Whether the last round reached the database (true until a round fails).
    public var isDatabaseReachable: Bool { lastRound.succeeded.withLock { $0 } }

    public init(
        store: any GatewayStore, keys: APIKeyRegistry, ledger: SpendLedger, interval: Duration,
        idempotency: (any IdempotencyStore)? = nil, logger: Logger
    ) {
        self.store = store
        self.idempotency = idempotency
        self.keys = keys
        self.ledger = ledger
        self.interval = interval
        self.logger = logger
    }

    /// One round: write pending spend, reload keys and today's spend. Throws when the database fails.
    public func refresh(now: Date = Date()) async throws {
        do {
            try await refreshOnce(now: now)
            lastRound.succeeded.withLock { $0 = true }
        } catch {
            lastRound.succeeded.withLock { $0 = false }
            throw error
        }
    }

    private func refreshOnce(now: Date) async throws {
        let deltas = ledger.takePending()
        do {
            try await store.addSpend(deltas)
        } catch {
            ledger.restore(deltas)
            throw error
        }
        keys.replace(with: try await store.loadKeys())
        let day = SpendLedger.day(of: now)
        ledger.replacePersisted(try await store.loadSpend(day: day), day: day)
        if let idempotency {
            do {
                let purged = try await idempotency.purgeExpired(limit: 10_000)
                if purged > 0 { logger.debug("expired idempotency keys deleted", metadata: ["gateway.purged": "\(purged)"]) }
            } catch {
                logger.notice("expired idempotency keys not deleted", metadata: ["error": "\(error)"])
            }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                do {
                    try await refresh()
                } catch {
                    logger.warning("gateway state refresh failed", metadata: ["error": "\(error)"])
                }
            }
        }
        // Write what was spent since the last round before exiting.
        try? await store.addSpend(ledger.takePending())
    }
}
