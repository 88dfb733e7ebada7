/// The names and histogram buckets of every Tierflow metric, in one place.
///
/// Dimensions are low-cardinality only: stage, tier, layer, outcome, error code — never query ids,
/// sites or assets. Counters end in `_total`; durations are histograms in seconds.
public enum MetricCatalog {
    /// Hop latency per stage and tier: receive → decide → commit + publish → ack (`stage`, `tier`, `outcome`).
    public static let hopDuration = "tierflow_hop_duration_seconds"
    /// Deliveries handled per stage and tier (`stage`, `tier`, `outcome`: ok, dead_lettered, requeued).
    public static let messages = "tierflow_messages_total"
    /// Attempts of a hop that failed and were retried locally (database or broker trouble).
    public static let hopRetries = "tierflow_hop_retries_total"
    /// Deliveries held by this process and not yet acknowledged (`stage`, `tier`).
    public static let inFlight = "tierflow_inflight_deliveries"

    /// Final results by layer (0 = knowledge base), tier and how the chain ended.
    public static let results = "tierflow_results_total"
    /// End-to-end latency of finalised queries, from arrival to result (`layer`).
    public static let queryLatency = "tierflow_query_latency_seconds"
    /// Escalations by tier pair (`from`, `to`).
    public static let escalations = "tierflow_escalations_total"
    /// The evaluator's confidence in each answer (`tier`).
    public static let confidence = "tierflow_confidence"
    /// Start tiers the router chose (`tier`).
    public static let routed = "tierflow_routed_total"
    /// Layer 0 lookups (`outcome`: hit, miss, disabled); the hit rate is hit / all.
    public static let layer0Lookups = "tierflow_layer0_lookups_total"

    /// Model calls per tier (`tier`, `outcome`: success, error).
    public static let backendCalls = "tierflow_backend_calls_total"
    /// Duration of each model call attempt (`tier`).
    public static let backendDuration = "tierflow_backend_duration_seconds"
    /// Failed model call attempts by error code (`tier`, `code`).
    public static let backendErrors = "tierflow_backend_errors_total"
    /// Retries of model calls (`tier`).
    public static let backendRetries = "tierflow_backend_retries_total"
    /// Circuit breaker state per tier: 0 closed, 1 half-open, 2 open.
    public static let circuitState = "tierflow_circuit_state"
    /// Tokens per tier (`tier`, `direction`: in, out).
    public static let tokens = "tierflow_tokens_total"
    /// Spend per tier in USD (`tier`).
    public static let cost = "tierflow_cost_usd_total"

    /// Gateway HTTP requests (`endpoint`, `status`: the HTTP status code).
    public static let gatewayRequests = "tierflow_gateway_requests_total"
    /// Gateway request duration until the response head is ready; for `stream: true` that is the first
    /// chunk, not the end of the stream (`endpoint`).
    public static let gatewayDuration = "tierflow_gateway_request_duration_seconds"
    /// Gateway requests being served now.
    public static let gatewayInFlight = "tierflow_gateway_inflight_requests"

    /// Buckets of the duration histograms, by metric name (seconds).
    public static let durationBuckets: [String: [Duration]] = [
        hopDuration: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000].map { .milliseconds($0) },
        backendDuration: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000].map { .milliseconds($0) },
        queryLatency: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000].map { .milliseconds($0) },
        gatewayDuration: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000].map { .milliseconds($0) },
    ]

    /// Buckets of the value histograms, by metric name.
    public static let valueBuckets: [String: [Double]] = [
        confidence: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0]
    ]

    /// The value `tier` takes on metrics of stages that serve no single tier.
    public static let noTier = "none"
}
