import Foundation
import TierflowCore

/// Picks the start tier from success estimates, prices and the system's state.
///
/// Among tiers whose estimate clears the quality target, it takes the one with the lowest expected
/// cost, counting escalation: starting at tier k costs c_k + (1 − p_k)(c_{k+1} + (1 − p_{k+1})(…)).
/// Operational state then shifts the choice:
/// - a tier with no consumers is skipped (nobody would answer);
/// - a tier whose backlog would take longer than the query's time left is skipped;
/// - once the daily budget is spent, only free tiers are chosen (the top free tier if none clears);
/// - critical alarms never start below `router.critical_start_tier`.
/// When no tier clears the target, the strongest available tier is chosen.
public struct TierChooser: Sendable {
    public var tiers: [TierConfig]
    public var qualityTarget: Double
    public var dailyBudgetUSD: Double
    public var criticalFloor: Int?
    /// Expected output tokens of an answer, for cost estimates.
    public var expectedOutputTokens: Int

    public init(config: PipelineConfig, expectedOutputTokens: Int = 250) {
        tiers = config.tiers
        qualityTarget = config.router.qualityTarget
        dailyBudgetUSD = config.router.dailyBudgetUSD
        criticalFloor = config.router.criticalStartTier.flatMap(config.tierIndex(named:))
        self.expectedOutputTokens = expectedOutputTokens
    }

    /// The chosen tier's index and a short reason.
    public func choose(
        estimates: [Double],
        envelope: QueryEnvelope,
        promptTokens: Int,
        state: SystemState,
        now: Date
    ) -> (index: Int, reason: String) {
        precondition(estimates.count == tiers.count, "one estimate per tier")
        let costs = tiers.map { $0.price.cost(inputTokens: promptTokens, outputTokens: expectedOutputTokens) }
        let budgetSpent = dailyBudgetUSD > 0 && state.spentTodayUSD >= dailyBudgetUSD
        let secondsLeft = envelope.deadline.map { $0.timeIntervalSince(now) } ?? .infinity
        var floor = 0
        var notes: [String] = []
        if let criticalFloor, envelope.payload.faultEvent?.severity == .critical {
            floor = criticalFloor
            notes.append("critical alarm floor \(tiers[criticalFloor].name)")
        }

        func available(_ index: Int) -> Bool {
            if budgetSpent && costs[index] > 0 { return false }
            guard let load = state.loads[tiers[index].name] else { return true }
            if load.consumers == 0 { return false }
            // Backlog drain time at the tier's concurrency, with its simulated or nominal call time.
            let callSeconds = max(0.05, tiers[index].isSimulated ? tiers[index].simulation.latencyMilliseconds / 1000 : 1)
            let drain = Double(load.waiting) / Double(max(1, load.consumers * tiers[index].maxConcurrency)) * callSeconds
            return drain < secondsLeft
        }

        let candidates = tiers.indices.filter { $0 >= floor && available($0) }
        if budgetSpent { notes.append("daily budget spent: free tiers only") }
        guard !candidates.isEmpty else {
            // Nothing is available: fall back to the floor (or the cheapest) and let the queue absorb it.
            let fallback = budgetSpent ? (tiers.indices.first { costs[$0] == 0 } ?? floor) : floor
            return (fallback, (notes + ["no tier available; queued at \(tiers[fallback].name)"]).joined(separator: "; "))
        }

        func expectedCost(from start: Int) -> Double {
            var total = 0.0
            var reach = 1.0
            for index in candidates where index >= start {
                total += reach * costs[index]
                reach *= 1 - estimates[index]
            }
            return total
        }

        let target = envelope.qualityTarget ?? qualityTarget
        let clearing = candidates.filter { estimates[$0] >= target }
        if let best = clearing.min(by: { expectedCost(from: $0) < expectedCost(from: $1) || (expectedCost(from: $0) == expectedCost(from: $1) && $0 < $1) }) {
            let reason = "p=\(estimates[best].fixed(2)) ≥ \(target.fixed(2)), expected cost $\(expectedCost(from: best).fixed(5))"
            return (best, (notes + [reason]).joined(separator: "; "))
        }
        let strongest = candidates.last!
        return (strongest, (notes + ["no tier clears \(target.fixed(2)); strongest available"]).joined(separator: "; "))
    }
}
