import Synchronization
import TierflowCore

/// The enabled API keys, in memory, refreshed from the database by ``GatewayMaintenance``.
///
/// A presented key is hashed with SHA-256 and compared, in constant time, with every stored hash
/// (no early exit), so the time taken tells nothing about which key, or how much of one, matched.
public final class APIKeyRegistry: Sendable {
    private struct Entry: Sendable {
        var record: APIKeyRecord
        var hash: [UInt8]
    }

    private let entries = Mutex<[Entry]>([])
    private let defaults: GatewayConfig

    public init(config: GatewayConfig) {
        defaults = config
    }

    /// Replaces the keys (disabled ones are dropped).
    public func replace(with records: [APIKeyRecord]) {
        let fresh = records.filter { !$0.disabled }.compactMap { record -> Entry? in
            guard let hash = Self.bytes(fromHex: record.keyHash), hash.count == 32 else { return nil }
            return Entry(record: record, hash: hash)
        }
        entries.withLock { $0 = fresh }
    }

    /// Number of enabled keys loaded.
    public var count: Int { entries.withLock { $0.count } }

    /// The caller presenting `key` (nil for no key), or nil when the key is unknown, or missing while required.
    public func authenticate(_ key: String?) -> Principal? {
        guard let key, !key.isEmpty else {
            guard !defaults.requireAPIKey else { return nil }
            return Principal(
                keyId: Principal.anonymousId, rateLimitPerMinute: defaults.rateLimitPerMinute,
                dailyBudgetUSD: defaults.dailyBudgetUSD)
        }
        let presented = SHA256.digest(Array(key.utf8))
        let match: APIKeyRecord? = entries.withLock { entries in
            var found: APIKeyRecord?
            for entry in entries where ConstantTime.equal(entry.hash, presented) { found = entry.record }
            return found
        }
        guard let record = match else { return nil }
        return Principal(
            keyId: record.id, rateLimitPerMinute: record.rateLimitPerMinute ?? defaults.rateLimitPerMinute,
            dailyBudgetUSD: record.dailyBudgetUSD ?? defaults.dailyBudgetUSD)
    }

    static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }
}
