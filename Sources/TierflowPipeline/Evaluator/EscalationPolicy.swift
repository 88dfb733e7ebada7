import Foundation
import TierflowCore

/// Decides what happens to an evaluated answer: accept it, escalate the query, or end the chain.
public struct EscalationPolicy: Sendable {
    /// The outcome for one answer.
    public enum Decision: Sendable, Hashable {
        /// Confident enough: the answer is the result.
        case accept
        /// Below the tier's threshold: try the named tier next.
        case escalate(to: String)
        /// The chain ends with the best answer so far, for the reason given (`top_tier`, `deadline`, `budget`).
        case finalise(reason: String)
    }

    public var tiers: [TierConfig]
    public var maxCostPerQueryUSD: Double

    public init(config: PipelineConfig) {
        tiers = config.tiers
        maxCostPerQueryUSD = config.evaluator.maxCostPerQueryUSD
    }

    /// The decision for an answer from `tier` with `confidence`, given the query so far.
    public func decide(tier: String, confidence: Double, envelope: QueryEnvelope, now: Date) -> Decision {
        guard let index = tiers.firstIndex(where: { $0.name == tier }) else { return .finalise(reason: "unknown_tier") }
        if confidence >= tiers[index].confidenceThreshold { return .accept }
        guard index + 1 < tiers.count else { return .finalise(reason: "top_tier") }
        if let deadline = envelope.deadline, now >= deadline { return .finalise(reason: "deadline") }
        let cap = envelope.maxCostUSD ?? maxCostPerQueryUSD
        if cap > 0 && envelope.costSoFar >= cap { return .finalise(reason: "budget") }
        return .escalate(to: tiers[index + 1].name)
    }

    /// The best answer so far: the most confident successful attempt, later attempts winning ties.
    public static func bestAttempt(in history: [TierAttempt]) -> TierAttempt? {
        history.filter { $0.error == nil }.enumerated()
            .max { ($0.element.confidence ?? 0, $0.offset) < ($1.element.confidence ?? 0, $1.offset) }?.element
            ?? history.last
    }
}
