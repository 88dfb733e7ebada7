import Foundation
import TierflowCore

/// Sets per-tier logit offsets so that routing recent traffic gives a target tier mix — RouteLLM's
/// `calibrate_threshold` (a share of strong calls) generalised to N tiers.
///
/// The router's own ``TierChooser`` decides each query with the offset estimates (no load, budget left);
/// offsets are found tier by tier, cheapest first, by bisection on the share of queries starting at or
/// below that tier, then refined in two more sweeps because tiers interact through expected costs.
/// A quality target first picks the shares: per query the tier maximising p − λ·cost, for the largest
/// λ (the cheapest mix) whose mean predicted start-tier success still reaches the target.
public struct TierCalibrator: Sendable {
    /// One query of recent traffic with the model's raw (uncalibrated) estimates per tier.
    public struct Sample: Sendable {
        public var envelope: QueryEnvelope
        public var estimates: [Double]
        public var promptTokens: Int

        public init(envelope: QueryEnvelope, estimates: [Double], promptTokens: Int) {
            self.envelope = envelope
            self.estimates = estimates
            self.promptTokens = promptTokens
        }
    }

    public let chooser: TierChooser
    public let now: Date

    public init(chooser: TierChooser, now: Date = Date()) {
        self.chooser = chooser
        self.now = now
    }

    /// The share of `samples` starting at each tier with `offsets` applied.
    public func shares(_ samples: [Sample], offsets: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: chooser.tiers.count)
        for sample in samples { counts[start(sample, offsets: offsets)] += 1 }
        return counts.map { $0 / Double(max(1, samples.count)) }
    }

    /// Offsets (logit units, one per tier) that bring the start-tier mix of `samples` closest to `target`.
    public func offsets(_ samples: [Sample], target: [Double]) -> [Double] {
        let count = chooser.tiers.count
        precondition(target.count == count, "one target share per tier")
        let total = target.reduce(0, +)
        var cumulative: [Double] = []
        var running = 0.0
        for share in target {
            running += share / max(total, 1e-12)
            cumulative.append(running)
        }
        var offsets = [Double](repeating: 0, count: count)
        guard count > 1, !samples.isEmpty else { return offsets }
        for _ in 0..<3 {
            for tier in 0..<(count - 1) {
                var low = -20.0
                var high = 20.0
                for _ in 0..<40 {
                    let middle = (low + high) / 2
                    offsets[tier] = middle
                    let reached = shares(samples, offsets: offsets)[0...tier].reduce(0, +)
                    if reached < cumulative[tier] { low = middle } else { high = middle }
                }
                offsets[tier] = (low + high) / 2
            }
        }
        return offsets
    }

    /// The cheapest tier mix whose mean predicted start-tier success reaches `quality`: per query the
    /// tier maximising p − λ·cost, for the largest λ that still reaches it (all-strongest if none does).
    public func shares(_ samples: [Sample], quality: Double) -> [Double] {
        let count = chooser.tiers.count
        guard !samples.isEmpty else { return [Double](repeating: 1 / Double(max(1, count)), count: count) }
        let costs = samples.map { sample in
            chooser.tiers.map { $0.price.cost(inputTokens: sample.promptTokens, outputTokens: chooser.expectedOutputTokens) }
        }
        let scale = max(1e-12, costs.reduce(0) { $0 + ($1.max() ?? 0) } / Double(samples.count))
        func mix(_ lambda: Double) -> (quality: Double, shares: [Double]) {
            var shares = [Double](repeating: 0, count: count)
            var predicted = 0.0
            for (index, sample) in samples.enumerated() {
                var best = 0
                for tier in 1..<count where sample.estimates[tier] - lambda * costs[index][tier] > sample.estimates[best] - lambda * costs[index][best] + 1e-12 {
                    best = tier
                }
                shares[best] += 1 / Double(samples.count)
                predicted += sample.estimates[best] / Double(samples.count)
            }
            return (predicted, shares)
        }
        var best = mix(0)
        for step in 0...200 {
            let candidate = mix(pow(10, -4 + 8 * Double(step) / 200) / scale)
            if candidate.quality >= quality { best = candidate }
        }
        return best.shares
    }

    func start(_ sample: Sample, offsets: [Double]) -> Int {
        let shifted = zip(sample.estimates, offsets).map { estimate, offset in
            offset == 0 ? estimate : RouterModel.sigmoid(RouterModel.logit(estimate) + offset)
        }
        return chooser.choose(estimates: shifted, envelope: sample.envelope, promptTokens: sample.promptTokens, state: SystemState(), now: now).index
    }
}
