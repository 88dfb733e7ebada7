import Logging
import ServiceLifecycle
import Synchronization

/// Per-key token buckets shared by every gateway through a ``RateLimitStore`` (PostgreSQL), with a small
/// local allowance so that the hot path visits the database once per batch of requests, not once per request.
///
/// A gateway with no local token takes up to `batch` tokens from the key's shared bucket (at most one
/// second's refill, at least 1); tokens not used within `allowanceSeconds` are given back (``run()`` does it,
/// and the next visit of the key does it on the way). When the bucket is empty the store's answer says how
/// long until the next token, and this gateway refuses the key locally until then (429 with `Retry-After`)
/// without asking again. Requests admitted across all gateways never exceed what the shared bucket hands out.
/// While the store fails, keys fall back to a per-process bucket (logged once per outage).
public final class SharedRateLimiter: RequestLimiter, Service {
    private struct Allowance {
        var tokens = 0
        var perMinute = 0
        /// Monotonic seconds after which unused tokens go back to the shared bucket (the clock may be negative
        /// near its origin, so "never" is -infinity, not 0).
        var expires = -Double.infinity
        /// Monotonic seconds until which the shared bucket is known to be empty.
        var refusedUntil = -Double.infinity
        var fetches = 0
    }

    private enum Step {
        case decided(RateLimiter.Decision)
        case visit(want: Int, giveBack: Int)
    }

    let store: any RateLimitStore
    let batch: Int
    let allowanceSeconds: Double
    let logger: Logger
    private let fallback = RateLimiter()
    private let allowances = Mutex<[String: Allowance]>([:])
    private let counters = Mutex<(visits: Int, degraded: Bool)>((0, false))

    /// Takes tokens from `store` in batches of at most `batch`, keeping unused ones for `allowanceSeconds`.
    public init(store: any RateLimitStore, batch: Int, allowanceSeconds: Double, logger: Logger) {
        self.store = store
        self.batch = max(1, batch)
        self.allowanceSeconds = allowanceSeconds
        self.logger = logger
    }

    /// How many times the shared buckets were visited (for tests and metrics).
    public var storeVisits: Int { counters.withLock { $0.visits } }

    /// Tokens taken from the shared bucket at once for a key allowing `perMinute` requests a minute.
    public func batchSize(perMinute: Int) -> Int { max(1, min(batch, perMinute / 60)) }

    public func acquire(keyId: String, perMinute: Int) async -> RateLimiter.Decision {
        guard perMinute > 0 else { return .allowed }
        let now = RateLimiter.monotonicSeconds()
        let step: Step = allowances.withLock { all in
            var allowance = all[keyId] ?? Allowance()
            allowance.perMinute = perMinute
            var giveBack = 0
            if allowance.tokens > 0, allowance.expires <= now {
                giveBack = allowance.tokens
                allowance.tokens = 0
            }
            defer { all[keyId] = allowance }
            if allowance.tokens > 0 {
                allowance.tokens -= 1
                return .decided(.allowed)
            }
            if allowance.refusedUntil > now {
                return .decided(.limited(retryAfterSeconds: max(1, Int((allowance.refusedUntil - now).rounded(.up)))))
            }
            // A visit for this key is already on its way: take just what this request needs.
            let want = allowance.fetches > 0 ? 1 : batchSize(perMinute: perMinute)
            allowance.fetches += 1
            return .visit(want: want, giveBack: giveBack)
        }
        let want: Int
        let giveBack: Int
        switch step {
        case .decided(let decision): return decision
        case .visit(let count, let unused): (want, giveBack) = (count, unused)
        }
        let grant: BucketGrant
        do {
            grant = try await store.takeTokens(keyId: keyId, perMinute: perMinute, want: want, giveBack: giveBack)
        } catch {
            allowances.withLock { all in
                if var allowance = all[keyId] {
                    allowance.fetches = max(0, allowance.fetches - 1)
                    all[keyId] = allowance
                }
            }
            let first = counters.withLock { counters in
                defer { counters.degraded = true }
                return !counters.degraded
            }
            if first {
                logger.warning("shared rate limit unavailable; limiting per process", metadata: ["error": "\(error)"])
            }
            return fallback.acquire(keyId: keyId, perMinute: perMinute, now: now)
        }
        let recovered = counters.withLock { counters in
            counters.visits += 1
            defer { counters.degraded = false }
            return counters.degraded
        }
        if recovered { logger.notice("shared rate limit available again") }
        let after = RateLimiter.monotonicSeconds()
        return allowances.withLock { all in
            var allowance = all[keyId] ?? Allowance()
            defer { all[keyId] = allowance }
            allowance.perMinute = perMinute
            allowance.fetches = max(0, allowance.fetches - 1)
            if grant.granted > 0 {
                allowance.tokens += grant.granted - 1
                allowance.expires = after + allowanceSeconds
                allowance.refusedUntil = -.infinity
                return .allowed
            }
            let wait = max(0, 1 - grant.remaining) / (Double(perMinute) / 60)
            allowance.refusedUntil = after + wait
            return .limited(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
    }

    /// Gives back the tokens that waited unused longer than the allowance (all of them with `everything`).
    public func returnUnused(everything: Bool = false) async {
        let now = RateLimiter.monotonicSeconds()
        let due: [(key: String, tokens: Int, perMinute: Int)] = allowances.withLock { all in
            var due: [(key: String, tokens: Int, perMinute: Int)] = []
            for (key, allowance) in all where allowance.tokens > 0 && allowance.perMinute > 0 && (everything || allowance.expires <= now) {
                due.append((key, allowance.tokens, allowance.perMinute))
                all[key]?.tokens = 0
            }
            // Forget keys that hold nothing and are not refused any more.
            all = all.filter { $0.value.tokens > 0 || $0.value.fetches > 0 || $0.value.refusedUntil > now }
            return due
        }
        for entry in due {
            do {
                _ = try await store.takeTokens(keyId: entry.key, perMinute: entry.perMinute, want: 0, giveBack: entry.tokens)
            } catch {
                logger.notice("could not give back unused rate-limit tokens", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Gives back unused tokens every allowance period; at shutdown, gives back all of them.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(self.allowanceSeconds * 1000)))
                if Task.isCancelled { break }
                await self.returnUnused()
            }
        }
        await returnUnused(everything: true)
    }
}
