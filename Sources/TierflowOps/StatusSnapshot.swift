import Foundation

/// Everything `tierflow status` shows, at one moment: queues, throughput, tier mix, latency, escalations, spend.
public struct StatusSnapshot: Sendable, Codable, Hashable {
    /// One work queue.
    public struct QueueRow: Sendable, Codable, Hashable {
        /// What consumes it: `layer0`, `router`, `tier`, `evaluator`, `dead`.
        public var stage: String
        /// The tier, for tier queues.
        public var tier: String?
        public var name: String
        /// Messages waiting (ready for delivery).
        public var ready: Int
        /// Delivered to a consumer and not yet acknowledged (`nil` when only the broker's AMQP view was available).
        public var unacknowledged: Int?
        public var consumers: Int
        /// Messages published to the queue per second (management API rate).
        public var inRate: Double?
        /// Messages acknowledged per second (management API rate).
        public var outRate: Double?

        public init(
            stage: String, tier: String?, name: String, ready: Int, unacknowledged: Int?, consumers: Int,
            inRate: Double? = nil, outRate: Double? = nil
        ) {
            self.stage = stage
            self.tier = tier
            self.name = name
            self.ready = ready
            self.unacknowledged = unacknowledged
            self.consumers = consumers
            self.inRate = inRate
            self.outRate = outRate
        }
    }

    /// Results that ended at one layer and tier.
    public struct MixRow: Sendable, Codable, Hashable {
        /// 0 = Layer 0, 1… = tier position + 1.
        public var layer: Int
        public var tier: String
        public var count: Int
        /// Share of all results in the window.
        public var share: Double

        public init(layer: Int, tier: String, count: Int, share: Double) {
            self.layer = layer
            self.tier = tier
            self.count = count
            self.share = share
        }
    }

    /// Latency of one stage's hops (for tier hops, per tier).
    public struct HopRow: Sendable, Codable, Hashable {
        public var stage: String
        public var tier: String
        public var count: Int
        public var p50Ms: Double
        public var p99Ms: Double

        public init(stage: String, tier: String, count: Int, p50Ms: Double, p99Ms: Double) {
            self.stage = stage
            self.tier = tier
            self.count = count
            self.p50Ms = p50Ms
            self.p99Ms = p99Ms
        }
    }

    public var namespace: String
    public var generatedAt: Date
    /// The window the rates and shares cover.
    public var windowSeconds: Double
    public var queues: [QueueRow]
    /// Where the queue figures came from: `management` (HTTP API) or `amqp` (passive declares).
    public var queueSource: String
    /// Results in the window.
    public var results: Int
    /// Results per second over the last minute.
    public var throughputLastMinute: Double
    /// Results per second over the window.
    public var throughputWindow: Double
    public var tierMix: [MixRow]
    /// End-to-end latency of the window's results.
    public var p50Ms: Double
    public var p99Ms: Double
    public var hops: [HopRow]
    /// Share of the window's results that were escalated at least once.
    public var escalationRate: Double
    /// Results ended with the best answer so far (top tier, deadline or spend cap) rather than accepted.
    public var lowConfidence: Int
    /// Messages dead-lettered in the window.
    public var deadLetters: Int
    /// Spend on model calls since midnight UTC (the database's day).
    public var spentTodayUSD: Double
    /// `router.daily_budget_usd`.
    public var dailyBudgetUSD: Double

    public init(
        namespace: String, generatedAt: Date, windowSeconds: Double, queues: [QueueRow], queueSource: String, results: Int,
        throughputLastMinute: Double, throughputWindow: Double, tierMix: [MixRow], p50Ms: Double, p99Ms: Double,
        hops: [HopRow], escalationRate: Double, lowConfidence: Int, deadLetters: Int, spentTodayUSD: Double,
        dailyBudgetUSD: Double
    ) {
        self.namespace = namespace
        self.generatedAt = generatedAt
        self.windowSeconds = windowSeconds
        self.queues = queues
        self.queueSource = queueSource
        self.results = results
        self.throughputLastMinute = throughputLastMinute
        self.throughputWindow = throughputWindow
        self.tierMix = tierMix
        self.p50Ms = p50Ms
        self.p99Ms = p99Ms
        self.hops = hops
        self.escalationRate = escalationRate
        self.lowConfidence = lowConfidence
        self.deadLetters = deadLetters
        self.spentTodayUSD = spentTodayUSD
        self.dailyBudgetUSD = dailyBudgetUSD
    }
}
