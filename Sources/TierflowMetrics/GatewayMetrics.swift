import Metrics

/// What the gateway records for each HTTP request: count by endpoint and status, duration, in flight.
///
/// Endpoints are a fixed set (``Endpoint``), so an unknown path cannot add label values.
public struct GatewayMetrics: Sendable {
    /// The endpoint a request went to.
    public enum Endpoint: String, Sendable, CaseIterable {
        case chatCompletions = "chat_completions"
        case models
        case route
        case feedback
        case health
        case other

        /// The endpoint of a request path.
        public init(path: String) {
            switch path {
            case "/v1/chat/completions", "/chat/completions": self = .chatCompletions
            case "/v1/models": self = .models
            case "/v1/route": self = .route
            case "/v1/feedback": self = .feedback
            case "/health": self = .health
            default: self = .other
            }
        }
    }

    private let requests: LabelledMetrics<Counter>
    private let durations: [Endpoint: Timer]
    private let inFlight: Meter

    /// Create after the metrics backend is bootstrapped (metric objects created before stay no-ops).
    public init() {
        requests = LabelledMetrics { values in
            Counter(label: MetricCatalog.gatewayRequests, dimensions: [("endpoint", values[0]), ("status", values[1])])
        }
        var durations: [Endpoint: Timer] = [:]
        for endpoint in Endpoint.allCases {
            durations[endpoint] = Timer(label: MetricCatalog.gatewayDuration, dimensions: [("endpoint", endpoint.rawValue)])
        }
        self.durations = durations
        inFlight = Meter(label: MetricCatalog.gatewayInFlight)
    }

    /// A request arrived.
    public func started() { inFlight.increment() }

    /// A request that arrived at `start` was answered with `status`.
    public func finished(_ endpoint: Endpoint, status: Int, since start: ContinuousClock.Instant) {
        inFlight.decrement()
        requests[endpoint.rawValue, String(status)].increment()
        durations[endpoint]?.record(duration: start.duration(to: .now))
    }
}
