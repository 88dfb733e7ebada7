import Foundation

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

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.queryId, lhs.stage, lhs.tier, lhs.attempt) < (rhs.queryId, rhs.stage, rhs.tier, rhs.attempt)
        }
    }
}
