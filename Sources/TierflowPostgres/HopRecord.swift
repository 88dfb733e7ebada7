import Foundation
import TierflowCore

/// One row of `hops`: what one stage did for one query. The key is (queryId, stage, tier, attempt).
public struct HopRecord: Sendable, Hashable {
    public var queryId: String
    /// ingest | layer0 | router | tier | evaluator | result
    public var stage: String
    /// The tier name, "" for stages that are not per tier.
    public var tier: String
    public var attempt: Int
    /// The worker (process/instance) that did the hop.
    public var worker: String
    public var startedAt: Date
    public var finishedAt: Date
    /// e.g. hit | miss | route:edge | answered | accept | escalate
    public var decision: String
    public var score: Double?
    public var model: String?
    public var tokensIn: Int?
    public var tokensOut: Int?
    public var costUSD: Double
    public var error: String?
    /// Stage-specific facts, JSON text (`jsonb`).
    public var detail: String?
    /// The message this hop published, JSON text (`jsonb`), for replay without rework.
    public var output: String?

    /// Creates a hop row.
    public init(
        queryId: String, stage: String, tier: String = "", attempt: Int = 0, worker: String,
        startedAt: Date, finishedAt: Date, decision: String, score: Double? = nil, model: String? = nil,
        tokensIn: Int? = nil, tokensOut: Int? = nil, costUSD: Double = 0, error: String? = nil,
        detail: String? = nil, output: String? = nil
    ) {
        self.queryId = queryId
        self.stage = stage
        self.tier = tier
        self.attempt = attempt
        self.worker = worker
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.decision = decision
        self.score = score
        self.model = model
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.costUSD = costUSD
        self.error = error
        self.detail = detail
        self.output = output
    }

    /// The logical key, unique in `hops`.
    public var key: Key { Key(queryId: queryId, stage: stage, tier: tier, attempt: attempt) }

    /// `hops`' primary key.
    public struct Key: Sendable, Hashable, Comparable {
        public var queryId: String
        public var stage: String
        public var tier: String
        public var attempt: Int

        /// Creates a key.
        public init(queryId: String, stage: String, tier: String = "", attempt: Int = 0) {
            self.queryId = queryId
            self.stage = stage
            self.tier = tier
            self.attempt = attempt
        }

        /// A hash of the key that every process computes alike: the order in which writers insert (and lock) rows.
        var lockOrder: UInt64 { StableHash.value(queryId, stage, tier, String(attempt)) }

        /// Orders by query id, stage, tier and attempt, comparing the texts' UTF-8 bytes (one pass each; the
        /// writer breaks ties between equal ``lockOrder`` hashes with it, so its order stays one that every
        /// process agrees on).
        public static func < (lhs: Key, rhs: Key) -> Bool {
            if let order = Self.compare(lhs.queryId, rhs.queryId) { return order }
            if let order = Self.compare(lhs.stage, rhs.stage) { return order }
            if let order = Self.compare(lhs.tier, rhs.tier) { return order }
            return lhs.attempt < rhs.attempt
        }

        /// Whether `lhs` sorts before `rhs` byte-wise, or nil when they are equal.
        private static func compare(_ lhs: String, _ rhs: String) -> Bool? {
            var lhs = lhs
            var rhs = rhs
            return lhs.withUTF8 { left in
                rhs.withUTF8 { right in
                    let common = min(left.count, right.count)
                    let order = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
                    if order != 0 { return order < 0 }
                    return left.count == right.count ? nil : left.count < right.count
                }
            }
        }
    }
}
