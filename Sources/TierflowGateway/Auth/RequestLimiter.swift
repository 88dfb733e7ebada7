/// Takes one request's token from a key's rate limit: ``RateLimiter`` (one bucket per process) or
/// ``SharedRateLimiter`` (one bucket per key in PostgreSQL, shared by every gateway).
public protocol RequestLimiter: Sendable {
    /// Takes a token for `keyId` whose limit is `perMinute` requests a minute (0: unlimited).
    func acquire(keyId: String, perMinute: Int) async -> RateLimiter.Decision
}

extension RateLimiter: RequestLimiter {
    public func acquire(keyId: String, perMinute: Int) async -> Decision {
        acquire(keyId: keyId, perMinute: perMinute, now: Self.monotonicSeconds())
    }
}
