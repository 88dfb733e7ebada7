/// The OpenAI-compatible HTTP front door (`tierflow-gateway`): where it listens and what it allows.
public struct GatewayConfig: Sendable, Hashable {
    /// Address to bind; loopback unless set otherwise.
    public var host: String
    public var port: Int
    /// How long a request waits for its final result before answering 504.
    public var requestTimeoutSeconds: Double
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes: Int
    /// Whether every request needs an API key (`Authorization: Bearer …`); false admits anonymous callers.
    public var requireAPIKey: Bool
    /// Requests per minute per key when the key sets none (token bucket of that size); 0 = unlimited.
    public var rateLimitPerMinute: Int
    /// Spend per key per UTC day when the key sets none, in USD; 0 = unlimited.
    public var dailyBudgetUSD: Double
    /// How often keys and spend are re-read from the database.
    public var keyRefreshSeconds: Double
    /// The quality target of the `tierflow-quality` policy.
    public var highQualityTarget: Double
    /// Characters per content chunk when a result is streamed (`stream: true`).
    public var streamChunkCharacters: Int
    /// Whether the per-key rate limit is one bucket in PostgreSQL shared by every gateway (`rate_limit.shared`),
    /// rather than one bucket per gateway process.
    public var rateLimitShared: Bool
    /// Most tokens one gateway takes from a shared bucket at once (`rate_limit.batch`); it takes at most a
    /// second's refill, and 1 for slow keys, so a bucket is only read once per batch of requests.
    public var rateLimitBatch: Int
    /// How long tokens taken from a shared bucket may wait unused in one gateway before they are given back
    /// (`rate_limit.allowance_seconds`).
    public var rateLimitAllowanceSeconds: Double
    /// How long an `Idempotency-Key` is remembered (`idempotency_retention_hours`).
    public var idempotencyRetentionHours: Double

    static let keys: Set<String> = [
        "host", "port", "request_timeout_seconds", "max_body_bytes", "require_api_key", "rate_limit_per_minute",
        "daily_budget_usd", "key_refresh_seconds", "high_quality_target", "stream_chunk_characters", "rate_limit",
        "idempotency_retention_hours",
    ]

    /// The defaults: loopback port 8080, 60 s timeout, 1 MiB bodies, keys required, 600 requests/min in a
    /// bucket shared by every gateway, no budget, idempotency keys kept 24 h.
    public init() {
        host = "127.0.0.1"
        port = 8080
        requestTimeoutSeconds = 60
        maxBodyBytes = 1 << 20
        requireAPIKey = true
        rateLimitPerMinute = 600
        dailyBudgetUSD = 0
        keyRefreshSeconds = 30
        highQualityTarget = 0.9
        streamChunkCharacters = 24
        rateLimitShared = true
        rateLimitBatch = 10
        rateLimitAllowanceSeconds = 1
        idempotencyRetentionHours = 24
    }

    init(_ node: ConfigNode?) throws(ConfigError) {
        self.init()
        guard let node else { return }
        try node.keys(allowed: Self.keys)
        host = try node.optional("host")?.string() ?? host
        port = try node.optional("port")?.int(in: 0...65_535) ?? port
        requestTimeoutSeconds = try node.optional("request_timeout_seconds")?.double(in: 0.1...3600) ?? requestTimeoutSeconds
        maxBodyBytes = try node.optional("max_body_bytes")?.int(in: 1024...(64 << 20)) ?? maxBodyBytes
        requireAPIKey = try node.optional("require_api_key")?.bool() ?? requireAPIKey
        rateLimitPerMinute = try node.optional("rate_limit_per_minute")?.int(in: 0...10_000_000) ?? rateLimitPerMinute
        dailyBudgetUSD = try node.optional("daily_budget_usd")?.double(in: 0...1_000_000_000) ?? dailyBudgetUSD
        keyRefreshSeconds = try node.optional("key_refresh_seconds")?.double(in: 1...86_400) ?? keyRefreshSeconds
        highQualityTarget = try node.optional("high_quality_target")?.double(in: 0...1) ?? highQualityTarget
        streamChunkCharacters = try node.optional("stream_chunk_characters")?.int(in: 1...65_536) ?? streamChunkCharacters
        if let limits = node.optional("rate_limit") {
            try limits.keys(allowed: ["shared", "batch", "allowance_seconds"])
            rateLimitShared = try limits.optional("shared")?.bool() ?? rateLimitShared
            rateLimitBatch = try limits.optional("batch")?.int(in: 1...10_000) ?? rateLimitBatch
            rateLimitAllowanceSeconds = try limits.optional("allowance_seconds")?.double(in: 0.05...60) ?? rateLimitAllowanceSeconds
        }
        idempotencyRetentionHours = try node.optional("idempotency_retention_hours")?.double(in: 0.001...8760) ?? idempotencyRetentionHours
    }
}
