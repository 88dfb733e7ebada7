/// What one visit to a shared token bucket gave.
public struct BucketGrant: Sendable, Hashable {
    /// Tokens taken (0 when the bucket held less than one).
    public var granted: Int
    /// Tokens left in the bucket after the visit.
    public var remaining: Double

    public init(granted: Int, remaining: Double) {
        self.granted = granted
        self.remaining = remaining
    }
}

/// Token buckets shared by every gateway: one per key, refilled by the store's clock.
public protocol RateLimitStore: Sendable {
    /// Atomically gives back `giveBack` unused tokens, adds the refill since the last visit (capacity
    /// `perMinute`, refilling `perMinute / 60` a second; a new bucket starts full) and takes up to `want`.
    func takeTokens(keyId: String, perMinute: Int, want: Int, giveBack: Int) async throws -> BucketGrant
}
