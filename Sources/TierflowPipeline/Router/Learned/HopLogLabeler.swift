/// Turns one query's evaluator hops and feedback into per-tier success labels for retraining.
///
/// - an evaluator acceptance at tier k is a positive for k;
/// - an escalation from k followed by an acceptance at the next attempt is a negative for k
///   (an escalation followed by another escalation, or by a deadline or budget end, says nothing);
/// - explicit feedback on the result overrides both for the tier that gave the final answer:
///   a rating above 0 is a positive, below 0 a negative (0 is ignored); feedback labels weigh
///   ``feedbackWeight`` times an evaluator's.
public struct HopLogLabeler: Sendable {
    /// One evaluator hop: which tier's answer was judged, at which attempt, and the decision
    /// (`accept`, `escalate:<tier>`, `finalise:<reason>`).
    public struct Evaluation: Sendable, Hashable, Codable {
        public var tier: String
        public var attempt: Int
        public var decision: String

        public init(tier: String, attempt: Int, decision: String) {
            self.tier = tier
            self.attempt = attempt
            self.decision = decision
        }
    }

    /// Labels and their weights, by tier.
    public struct Labels: Sendable, Hashable {
        public var scores: [String: Double] = [:]
        public var weights: [String: Double] = [:]
    }

    public var feedbackWeight: Double

    public init(feedbackWeight: Double = 2) {
        self.feedbackWeight = feedbackWeight
    }

    /// The labels of one query.
    public func labels(evaluations: [Evaluation], finalTier: String?, feedbackRating: Int?) -> Labels {
        var labels = Labels()
        let ordered = evaluations.sorted { $0.attempt < $1.attempt }
        for (index, evaluation) in ordered.enumerated() {
            if evaluation.decision == "accept" {
                labels.scores[evaluation.tier] = 1
                labels.weights[evaluation.tier] = 1
            } else if evaluation.decision.hasPrefix("escalate"), index + 1 < ordered.count,
                ordered[index + 1].attempt == evaluation.attempt + 1, ordered[index + 1].decision == "accept",
                labels.scores[evaluation.tier] == nil
            {
                labels.scores[evaluation.tier] = 0
                labels.weights[evaluation.tier] = 1
            }
        }
        if let feedbackRating, feedbackRating != 0, let finalTier, !finalTier.isEmpty {
            labels.scores[finalTier] = feedbackRating > 0 ? 1 : 0
            labels.weights[finalTier] = feedbackWeight
        }
        return labels
    }
}
