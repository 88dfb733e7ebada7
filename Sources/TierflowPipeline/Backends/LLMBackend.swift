import TierflowCore

/// One model call's outcome.
public struct BackendAnswer: Sendable, Hashable {
    public var text: String
    /// The model that really answered, as the backend names it.
    public var model: String
    public var tokensIn: Int
    public var tokensOut: Int
    /// The backend's finish reason (`stop`, `length`, `end_turn`, `max_tokens`).
    public var finishReason: String?
    public var meanLogprob: Double?
    public var minLogprob: Double?
    /// Whether the simulated backend produced it.
    public var simulated: Bool

    public init(
        text: String, model: String, tokensIn: Int, tokensOut: Int, finishReason: String?, meanLogprob: Double? = nil,
        minLogprob: Double? = nil, simulated: Bool = false
    ) {
        self.text = text
        self.model = model
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.finishReason = finishReason
        self.meanLogprob = meanLogprob
        self.minLogprob = minLogprob
        self.simulated = simulated
    }
}

/// Something that answers prompts: an HTTP LLM API or the simulated stand-in.
public protocol LLMBackend: Sendable {
    /// Answers `prompt` with the tier's model; throws ``BackendError``.
    func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer
}
