import Foundation

/// An API key as stored: its SHA-256, never the key itself, and its limits.
public struct APIKeyRecord: Sendable, Hashable {
    /// Public id (`key_…`), safe to log and show.
    public var id: String
    public var name: String
    /// SHA-256 of the key, lower-case hex.
    public var keyHash: String
    /// The key's first characters, to recognise it in a list.
    public var prefix: String
    /// Requests per minute; nil: `gateway.rate_limit_per_minute`; 0: unlimited.
    public var rateLimitPerMinute: Int?
    /// Spend per UTC day in USD; nil: `gateway.daily_budget_usd`; 0: unlimited.
    public var dailyBudgetUSD: Double?
    public var createdAt: Date
    public var disabled: Bool

    public init(
        id: String, name: String, keyHash: String, prefix: String, rateLimitPerMinute: Int? = nil,
        dailyBudgetUSD: Double? = nil, createdAt: Date = Date(), disabled: Bool = false
    ) {
        self.id = id
        self.name = name
        self.keyHash = keyHash
        self.prefix = prefix
        self.rateLimitPerMinute = rateLimitPerMinute
        self.dailyBudgetUSD = dailyBudgetUSD
        self.createdAt = createdAt
        self.disabled = disabled
    }

    /// A new random key (`tf-` and 48 hex characters from the system's secure generator) and its record.
    /// The key is returned once and never stored.
    public static func generate(
        name: String, rateLimitPerMinute: Int? = nil, dailyBudgetUSD: Double? = nil
    ) -> (key: String, record: APIKeyRecord) {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let idBytes = (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = "tf-" + SHA256.hexString(secret)
        let record = APIKeyRecord(
            id: "key_" + SHA256.hexString(idBytes), name: name, keyHash: SHA256.hex(key), prefix: String(key.prefix(9)),
            rateLimitPerMinute: rateLimitPerMinute, dailyBudgetUSD: dailyBudgetUSD)
        return (key, record)
    }
}
