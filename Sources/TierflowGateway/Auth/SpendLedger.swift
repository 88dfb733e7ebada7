import Foundation
import Synchronization
import TierflowCore

/// Money spent per key per UTC day: what the database held at the last refresh plus what this gateway
/// has seen since (results' `cost_usd`), until ``GatewayMaintenance`` writes it.
public final class SpendLedger: Sendable {
    /// Spend not yet written, per key and day.
    public struct Delta: Sendable, Hashable {
        public var keyId: String
        /// `YYYY-MM-DD`, UTC.
        public var day: String
        public var costUSD: Double
        public var requests: Int

        public init(keyId: String, day: String, costUSD: Double, requests: Int) {
            self.keyId = keyId
            self.day = day
            self.costUSD = costUSD
            self.requests = requests
        }
    }

    private struct Key: Hashable {
        var keyId: String
        var day: String
    }

    private struct State {
        var persistedDay = ""
        var persisted: [String: Double] = [:]
        var pending: [Key: Delta] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Today's spend of `keyId` at `now`.
    public func spent(keyId: String, now: Date = Date()) -> Double {
        let day = Self.day(of: now)
        return state.withLock { state in
            let stored = state.persistedDay == day ? state.persisted[keyId] ?? 0 : 0
            return stored + (state.pending[Key(keyId: keyId, day: day)]?.costUSD ?? 0)
        }
    }

    /// Adds one answered request's cost.
    public func record(keyId: String, costUSD: Double, now: Date = Date()) {
        let key = Key(keyId: keyId, day: Self.day(of: now))
        state.withLock { state in
            var delta = state.pending[key] ?? Delta(keyId: key.keyId, day: key.day, costUSD: 0, requests: 0)
            delta.costUSD += max(0, costUSD)
            delta.requests += 1
            state.pending[key] = delta
        }
    }

    /// Removes and returns what is not yet written; give it back with ``restore(_:)`` if writing fails.
    public func takePending() -> [Delta] {
        state.withLock { state in
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
    }

    /// Puts back deltas that could not be written.
    public func restore(_ deltas: [Delta]) {
        state.withLock { state in
            for delta in deltas {
                let key = Key(keyId: delta.keyId, day: delta.day)
                var merged = state.pending[key] ?? Delta(keyId: delta.keyId, day: delta.day, costUSD: 0, requests: 0)
                merged.costUSD += delta.costUSD
                merged.requests += delta.requests
                state.pending[key] = merged
            }
        }
    }

    /// Replaces the stored totals of `day` (read from the database after the pending deltas were written).
    public func replacePersisted(_ totals: [String: Double], day: String) {
        state.withLock { state in
            state.persistedDay = day
            state.persisted = totals
        }
    }

    /// `YYYY-MM-DD` of `date` in UTC (proleptic Gregorian calendar).
    public static func day(of date: Date) -> String {
        let days = Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
