import Logging
import TierflowCore
import TierflowHTTP

/// Builds the backend a tier runs on.
public enum BackendFactory {
    /// The tier's backend by ``TierConfig/effectiveBackend`` (``SimulatedBackend`` when no endpoint is
    /// configured), wrapped in a ``ResilientBackend`` with the tier's concurrency cap, circuit breaker
    /// and retries. Make one per tier and reuse it: the breaker and the cap live in the instance.
    public static func make(tier: TierConfig, httpClient: HTTPClient, logger: Logger) -> any LLMBackend {
        makeResilient(tier: tier, httpClient: httpClient, logger: logger)
    }

    /// As ``make(tier:httpClient:logger:)``, typed, for access to the breaker state and attempt counts.
    public static func makeResilient(
        tier: TierConfig, httpClient: HTTPClient, clock: BackendClock = .continuous, logger: Logger
    ) -> ResilientBackend {
        var logger = logger
        logger[metadataKey: "tier.name"] = "\(tier.name)"
        let base: any LLMBackend =
            switch tier.effectiveBackend {
            case .openai: OpenAIBackend(httpClient: httpClient, logger: logger)
            case .anthropic: AnthropicBackend(httpClient: httpClient, logger: logger)
            case .simulated: SimulatedBackend()
            }
        return ResilientBackend(wrapping: base, tier: tier, clock: clock, logger: logger)
    }
}
