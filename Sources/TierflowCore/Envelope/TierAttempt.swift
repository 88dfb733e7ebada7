/// One tier's attempt at a query, as carried in the envelope's history.
public struct TierAttempt: Codable, Sendable, Hashable {
    public var tier: String
    public var model: String
    public var answer: String
    /// The evaluator's confidence in [0, 1]; nil until evaluated.
    public var confidence: Double?
    /// `accepted`, `escalated`, `failed`, or nil until evaluated.
    public var decision: String?
    public var costUSD: Double
    public var tokensIn: Int
    public var tokensOut: Int
    public var latencyMilliseconds: Double
    /// The backend's finish reason (`stop`, `length`, `end_turn`, `max_tokens`, …).
    public var finishReason: String?
    /// Mean and minimum token log-probability, when the backend returned them.
    public var meanLogprob: Double?
    public var minLogprob: Double?
    /// Whether the simulated backend produced this answer.
    public var simulated: Bool
    /// Why the attempt failed, when it did.
    public var error: String?

    public init(
        tier: String, model: String, answer: String, confidence: Double? = nil, decision: String? = nil,
        costUSD: Double = 0, tokensIn: Int = 0, tokensOut: Int = 0, latencyMilliseconds: Double = 0,
        finishReason: String? = nil, meanLogprob: Double? = nil, minLogprob: Double? = nil,
        simulated: Bool = false, error: String? = nil
    ) {
        self.tier = tier
        self.model = model
        self.answer = answer
        self.confidence = confidence
        self.decision = decision
        self.costUSD = costUSD
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.latencyMilliseconds = latencyMilliseconds
        self.finishReason = finishReason
        self.meanLogprob = meanLogprob
        self.minLogprob = minLogprob
        self.simulated = simulated
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case tier, model, answer, confidence, decision, costUSD = "cost_usd", tokensIn = "tokens_in"
        case tokensOut = "tokens_out", latencyMilliseconds = "latency_ms", finishReason = "finish_reason"
        case meanLogprob = "mean_logprob", minLogprob = "min_logprob", simulated, error
    }
}

/// The router's decision for a query.
public struct RoutePlan: Codable, Sendable, Hashable {
    /// The tier the query starts at.
    public var startTier: String
    /// Estimated probability that each tier answers acceptably.
    public var estimates: [String: Double]
    /// A short human-readable reason (`cheapest tier over 0.75`, `critical alarm floor`).
    public var reason: String
    /// The router model that decided (`transparent`, or a learned model's version).
    public var router: String

    public init(startTier: String, estimates: [String: Double], reason: String, router: String) {
        self.startTier = startTier
        self.estimates = estimates
        self.reason = reason
        self.router = router
    }

    enum CodingKeys: String, CodingKey {
        case startTier = "start_tier", estimates, reason, router
    }
}

/// Where a caller wants its answer sent back (AMQP `reply_to` and `correlation_id`).
public struct ReplyAddress: Codable, Sendable, Hashable {
    public var replyTo: String
    public var correlationId: String?

    public init(replyTo: String, correlationId: String?) {
        self.replyTo = replyTo
        self.correlationId = correlationId
    }

    enum CodingKeys: String, CodingKey {
        case replyTo = "reply_to", correlationId = "correlation_id"
    }
}
