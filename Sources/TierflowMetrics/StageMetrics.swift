import Metrics

/// What a stage runner records for each delivery: hop latency, outcome, local retries, in-flight count.
///
/// Create one per runner (at start-up, after the metrics backend is bootstrapped); recording is a few
/// atomic updates per message.
public struct StageMetrics: Sendable {
    /// How a delivery ended.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Committed, published, acknowledged.
        case ok
        /// Parked on the dead-letter exchange with a reason.
        case deadLettered = "dead_lettered"
        /// Given back to the broker after repeated local failures.
        case requeued
    }

    private let hopTimers: [Outcome: Timer]
    private let messages: [Outcome: Counter]
    private let retries: Counter
    private let inFlight: Meter

    /// Metrics of `stage`; `tier` for workers that serve one tier (else ``MetricCatalog/noTier``).
    public init(stage: String, tier: String?) {
        let base = [("stage", stage), ("tier", tier ?? MetricCatalog.noTier)]
        var timers: [Outcome: Timer] = [:]
        var counters: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            timers[outcome] = Timer(label: MetricCatalog.hopDuration, dimensions: base + [("outcome", outcome.rawValue)])
            counters[outcome] = Counter(label: MetricCatalog.messages, dimensions: base + [("outcome", outcome.rawValue)])
        }
        hopTimers = timers
        messages = counters
        retries = Counter(label: MetricCatalog.hopRetries, dimensions: base)
        inFlight = Meter(label: MetricCatalog.inFlight, dimensions: base)
    }

    /// A delivery arrived and is now held.
    public func received() { inFlight.increment() }

    /// A delivery held since `start` ended with `outcome`.
    public func finished(_ outcome: Outcome, since start: ContinuousClock.Instant) {
        inFlight.decrement()
        messages[outcome]?.increment()
        hopTimers[outcome]?.record(duration: start.duration(to: .now))
    }

    /// A delivery was released without an outcome (stale delivery, cancellation).
    public func released() { inFlight.decrement() }

    /// An attempt failed and will be retried.
    public func retried() { retries.increment() }
}
