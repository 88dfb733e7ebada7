import TierflowCore

/// Predicts, for each tier, the probability that it answers a query acceptably.
///
/// The transparent rules of ``TransparentScorer`` implement it today; a learned model implements the
/// same protocol, so the router and the ``TierChooser`` do not change when it arrives.
public protocol TierScorer: Sendable {
    /// A name for logs and the hop log (`transparent`, `mf-v3`).
    var name: String { get }
    /// Success estimates in [0, 1], one per tier of `tiers`, in the same order.
    func estimates(for envelope: QueryEnvelope, tiers: [TierConfig]) -> [Double]
}

/// What the router knows about the system when it decides.
public struct SystemState: Sendable, Hashable {
    /// Per tier: messages waiting and consumers attached (nil when unknown).
    public struct TierLoad: Sendable, Hashable {
        public var waiting: Int
        public var consumers: Int

        public init(waiting: Int, consumers: Int) {
            self.waiting = waiting
            self.consumers = consumers
        }
    }

    /// Loads by tier name.
    public var loads: [String: TierLoad]
    /// Money spent today, against `router.daily_budget_usd`.
    public var spentTodayUSD: Double

    public init(loads: [String: TierLoad] = [:], spentTodayUSD: Double = 0) {
        self.loads = loads
        self.spentTodayUSD = spentTodayUSD
    }
}
