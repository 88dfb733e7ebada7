import Synchronization

/// Per-key token buckets: a key with a limit of N requests a minute holds up to N tokens and regains
/// N/60 a second; a request takes one. An empty bucket answers how long until the next token.
public final class RateLimiter: Sendable {
    /// The verdict for one request.
    public enum Decision: Sendable, Hashable {
        case allowed
        /// Refused; a token is back after this many seconds (rounded up, at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    public init() {}

    /// Takes a token for `keyId` whose limit is `perMinute` (0: unlimited) at time `now` (seconds, monotonic).
    public func acquire(keyId: String, perMinute: Int, now: Double) -> Decision {
        guard perMinute > 0 else { return .allowed }
        let capacity = Double(perMinute)
        let refill = capacity / 60
        return buckets.withLock { buckets in
            var bucket = buckets[keyId] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) * refill)
            bucket.updated = now
            defer { buckets[keyId] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .allowed
            }
            let wait = (1 - bucket.tokens) / refill
            return .limited(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
    }

    /// Seconds since an arbitrary fixed point, from the monotonic clock.
    public static func monotonicSeconds() -> Double {
        let components = ContinuousClock.now.duration(to: origin).components
        return -(Double(components.seconds) + Double(components.attoseconds) / 1e18)
    }

    private static let origin = ContinuousClock.now
}
