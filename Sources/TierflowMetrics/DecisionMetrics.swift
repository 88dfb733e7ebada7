import Metrics

/// What the deciding stages record: final layers, escalations, confidence, routes, Layer 0 hits.
///
/// Create one per stage at start-up; each method is a cached lookup and an atomic update.
public struct DecisionMetrics: Sendable {
    private let results: LabelledMetrics<Counter>
    private let latency: LabelledMetrics<Timer>
    private let escalations: LabelledMetrics<Counter>
    private let confidence: LabelledMetrics<Recorder>
    private let routed: LabelledMetrics<Counter>
    private let lookups: LabelledMetrics<Counter>

    public init() {
        results = LabelledMetrics { values in
            Counter(
                label: MetricCatalog.results,
                dimensions: [("layer", values[0]), ("tier", values[1]), ("ended_by", values[2])])
        }
        latency = LabelledMetrics { values in Timer(label: MetricCatalog.queryLatency, dimensions: [("layer", values[0])]) }
        escalations = LabelledMetrics { values in
            Counter(label: MetricCatalog.escalations, dimensions: [("from", values[0]), ("to", values[1])])
        }
        confidence = LabelledMetrics { values in
            Recorder(label: MetricCatalog.confidence, dimensions: [("tier", values[0])], aggregate: true)
        }
        routed = LabelledMetrics { values in Counter(label: MetricCatalog.routed, dimensions: [("tier", values[0])]) }
        lookups = LabelledMetrics { values in Counter(label: MetricCatalog.layer0Lookups, dimensions: [("outcome", values[0])]) }
    }

    /// A query ended at `layer` (0 = Layer 0) on `tier`, the chain ended by `endedBy`, `latencyMs` after arrival.
    public func finalised(layer: Int, tier: String?, endedBy: String, latencyMs: Double?) {
        let layerLabel = String(layer)
        results[layerLabel, tier ?? MetricCatalog.noTier, endedBy].increment()
        if let latencyMs, latencyMs.isFinite, latencyMs >= 0 {
            latency[layerLabel].record(duration: .microseconds(Int64(latencyMs * 1000)))
        }
    }

    /// The evaluator sent a query from tier `from` to tier `to`.
    public func escalated(from: String, to: String) { escalations[from, to].increment() }

    /// The evaluator scored an answer of `tier`.
    public func scored(tier: String, confidence value: Double) { confidence[tier].record(value) }

    /// The router chose `tier` as a query's start tier.
    public func routed(to tier: String) { routed[tier].increment() }

    /// A Layer 0 lookup ended with `outcome` (hit, miss, disabled).
    public func layer0(_ outcome: String) { lookups[outcome].increment() }
}
