/// Who is calling, once authenticated, with the limits that apply to them.
public struct Principal: Sendable, Hashable {
    /// The key id, or `anonymous` when keys are not required and none was given.
    public var keyId: String
    /// Requests per minute (0: unlimited).
    public var rateLimitPerMinute: Int
    /// Spend per UTC day in USD (0: unlimited).
    public var dailyBudgetUSD: Double

    public init(keyId: String, rateLimitPerMinute: Int, dailyBudgetUSD: Double) {
        self.keyId = keyId
        self.rateLimitPerMinute = rateLimitPerMinute
        self.dailyBudgetUSD = dailyBudgetUSD
    }

    /// The id of callers without a key.
    public static let anonymousId = "anonymous"
}
