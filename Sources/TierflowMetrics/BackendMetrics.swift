import Metrics

/// What one tier's model calls record: attempts, errors by code, retries, circuit state, tokens and spend.
public struct BackendMetrics: Sendable {
    /// Circuit breaker states as the gauge reports them.
    public enum CircuitState: Int, Sendable {
        case closed = 0
        case halfOpen = 1
        case open = 2
    }

    /// The tier these metrics describe.
    public let tier: String
    private let successes: Counter
    private let failures: Counter
    private let duration: Timer
    private let errors: LabelledMetrics<Counter>
    private let retries: Counter
    private let circuit: Gauge
    private let tokensIn: Counter
    private let tokensOut: Counter
    private let cost: FloatingPointCounter

    /// Metrics of the tier named `tier`.
    public init(tier: String) {
        self.tier = tier
        let dimensions = [("tier", tier)]
        successes = Counter(label: MetricCatalog.backendCalls, dimensions: dimensions + [("outcome", "success")])
        failures = Counter(label: MetricCatalog.backendCalls, dimensions: dimensions + [("outcome", "error")])
        duration = Timer(label: MetricCatalog.backendDuration, dimensions: dimensions)
        errors = LabelledMetrics { values in
            Counter(label: MetricCatalog.backendErrors, dimensions: dimensions + [("code", values[0])])
        }
        retries = Counter(label: MetricCatalog.backendRetries, dimensions: dimensions)
        circuit = Gauge(label: MetricCatalog.circuitState, dimensions: dimensions)
        tokensIn = Counter(label: MetricCatalog.tokens, dimensions: dimensions + [("direction", "in")])
        tokensOut = Counter(label: MetricCatalog.tokens, dimensions: dimensions + [("direction", "out")])
        cost = FloatingPointCounter(label: MetricCatalog.cost, dimensions: dimensions)
        circuit.record(CircuitState.closed.rawValue)
    }

    /// One attempt succeeded after `elapsed`.
    public func succeeded(after elapsed: Duration) {
        successes.increment()
        duration.record(duration: elapsed)
    }

    /// One attempt failed with `code` (a backend error code such as `timeout` or `server_error`).
    public func failed(code: String, after elapsed: Duration?) {
        failures.increment()
        errors[code].increment()
        if let elapsed { duration.record(duration: elapsed) }
    }

    /// A failed attempt is retried.
    public func retried() { retries.increment() }

    /// The breaker is now in `state`.
    public func circuit(_ state: CircuitState) { circuit.record(state.rawValue) }

    /// A call used these tokens and cost this much.
    public func usage(tokensIn input: Int, tokensOut output: Int, costUSD: Double) {
        if input > 0 { tokensIn.increment(by: input) }
        if output > 0 { tokensOut.increment(by: output) }
        if costUSD > 0 { cost.increment(by: costUSD) }
    }
}
