import Foundation

/// One tier of the cascade: a model behind a backend, with its price and limits.
public struct TierConfig: Sendable, Hashable {
    /// Wire format a tier's backend speaks.
    public enum Backend: String, Sendable, Hashable, CaseIterable {
        /// OpenAI chat completions: OpenAI, vLLM, llama.cpp server, Ollama `/v1`, Groq.
        case openai
        /// Anthropic Messages API.
        case anthropic
        /// Deterministic, in-process stand-in for dry runs and load tests; always labelled as simulated.
        case simulated
    }

    /// Price in US dollars per million tokens.
    public struct Price: Sendable, Hashable {
        public var inputPerMillion: Double
        public var outputPerMillion: Double

        public init(inputPerMillion: Double, outputPerMillion: Double) {
            self.inputPerMillion = inputPerMillion
            self.outputPerMillion = outputPerMillion
        }

        /// The cost of one call with the given token counts.
        public func cost(inputTokens: Int, outputTokens: Int) -> Double {
            (Double(inputTokens) * inputPerMillion + Double(outputTokens) * outputPerMillion) / 1_000_000
        }
    }

    /// Retries of failed backend calls: exponential backoff with jitter, honouring `Retry-After`.
    public struct Retry: Sendable, Hashable {
        public var maxAttempts: Int
        public var baseDelayMilliseconds: Int
        public var maxDelayMilliseconds: Int

        public init(maxAttempts: Int = 4, baseDelayMilliseconds: Int = 200, maxDelayMilliseconds: Int = 10_000) {
            self.maxAttempts = maxAttempts
            self.baseDelayMilliseconds = baseDelayMilliseconds
            self.maxDelayMilliseconds = maxDelayMilliseconds
        }
    }

    /// Opens after `failures` consecutive failures; lets one probe through after `cooldownSeconds`.
    public struct CircuitBreaker: Sendable, Hashable {
        public var failures: Int
        public var cooldownSeconds: Double

        public init(failures: Int = 5, cooldownSeconds: Double = 10) {
            self.failures = failures
            self.cooldownSeconds = cooldownSeconds
        }
    }

    /// How the simulated backend behaves for this tier.
    public struct Simulation: Sendable, Hashable {
        /// Share of queries this tier answers well, in [0, 1].
        public var skill: Double
        /// Median latency of a call; 0 answers at once.
        public var latencyMilliseconds: Double

        public init(skill: Double, latencyMilliseconds: Double) {
            self.skill = skill
            self.latencyMilliseconds = latencyMilliseconds
        }
    }

    public var name: String
    /// The backend as configured.
    public var backend: Backend
    /// Base URL of the backend; empty means the simulated backend is used.
    public var endpoint: String
    public var model: String
    public var apiKey: Secret
    public var price: Price
    public var timeoutSeconds: Double
    public var maxConcurrency: Int
    /// Answers below this confidence escalate to the next tier.
    public var confidenceThreshold: Double
    public var maxOutputTokens: Int
    /// Whether the prompt asks the model to report its own confidence.
    public var askForConfidence: Bool
    public var retry: Retry
    public var circuitBreaker: CircuitBreaker
    public var simulation: Simulation

    /// The backend that actually runs: ``Backend/simulated`` when no endpoint is configured.
    public var effectiveBackend: Backend {
        endpoint.isEmpty ? .simulated : backend
    }

    /// Whether this tier's answers come from the simulated backend.
    public var isSimulated: Bool { effectiveBackend == .simulated }
}

extension TierConfig {
    static let keys: Set<String> = [
        "name", "backend", "endpoint", "model", "api_key", "price", "timeout_seconds", "max_concurrency",
        "confidence_threshold", "max_output_tokens", "ask_for_confidence", "retry", "circuit_breaker", "simulated",
    ]

    init(_ node: ConfigNode) throws(ConfigError) {
        try node.keys(allowed: Self.keys)
        name = try node.required("name").string()
        guard name.range(of: "^[a-z][a-z0-9_-]{0,31}$", options: .regularExpression) != nil else {
            throw node["name"].error(.invalidValue, "tier names are 1-32 lower-case letters, digits, - or _, got \"\(name)\"")
        }
        backend = Backend(rawValue: try node.required("backend").choice(Backend.allCases.map(\.rawValue)))!
        endpoint = try node.optional("endpoint")?.string() ?? ""
        if !endpoint.isEmpty, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw node["endpoint"].error(.invalidValue, "expected an http:// or https:// URL, got \"\(endpoint)\"")
        }
        model = try node.required("model").string()
        apiKey = Secret(try node.optional("api_key")?.string() ?? "")
        let priceNode = try node.required("price")
        try priceNode.keys(allowed: ["input", "output"])
        price = Price(
            inputPerMillion: try priceNode.required("input").double(in: 0...1_000_000),
            outputPerMillion: try priceNode.required("output").double(in: 0...1_000_000)
        )
        timeoutSeconds = try node.optional("timeout_seconds")?.double(in: 0.1...3600) ?? 60
        maxConcurrency = try node.optional("max_concurrency")?.int(in: 1...10_000) ?? 8
        confidenceThreshold = try node.optional("confidence_threshold")?.double(in: 0...1) ?? 0.7
        maxOutputTokens = try node.optional("max_output_tokens")?.int(in: 1...1_000_000) ?? 512
        askForConfidence = try node.optional("ask_for_confidence")?.bool() ?? false
        retry = Retry()
        if let retryNode = node.optional("retry") {
            try retryNode.keys(allowed: ["max_attempts", "base_delay_ms", "max_delay_ms"])
            retry.maxAttempts = try retryNode.optional("max_attempts")?.int(in: 1...100) ?? retry.maxAttempts
            retry.baseDelayMilliseconds = try retryNode.optional("base_delay_ms")?.int(in: 0...600_000) ?? retry.baseDelayMilliseconds
            retry.maxDelayMilliseconds = try retryNode.optional("max_delay_ms")?.int(in: 0...3_600_000) ?? retry.maxDelayMilliseconds
        }
        circuitBreaker = CircuitBreaker()
        if let breakerNode = node.optional("circuit_breaker") {
            try breakerNode.keys(allowed: ["failures", "cooldown_seconds"])
            circuitBreaker.failures = try breakerNode.optional("failures")?.int(in: 1...1000) ?? circuitBreaker.failures
            circuitBreaker.cooldownSeconds = try breakerNode.optional("cooldown_seconds")?.double(in: 0...3600) ?? circuitBreaker.cooldownSeconds
        }
        simulation = Simulation(skill: 0.7, latencyMilliseconds: 0)
        if let simulatedNode = node.optional("simulated") {
            try simulatedNode.keys(allowed: ["skill", "latency_ms"])
            simulation.skill = try simulatedNode.optional("skill")?.double(in: 0...1) ?? simulation.skill
            simulation.latencyMilliseconds = try simulatedNode.optional("latency_ms")?.double(in: 0...600_000) ?? 0
        }
    }
}
