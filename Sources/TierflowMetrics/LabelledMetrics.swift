import Synchronization

/// Metric objects of one name, created on first use per label value and reused after.
///
/// For dimensions whose values are few but not known up front (error codes, tier pairs, layers):
/// the hot path pays one lock and one dictionary lookup, never a metric registration.
public final class LabelledMetrics<Metric: Sendable>: Sendable {
    private let cache = Mutex<[[String]: Metric]>([:])
    private let make: @Sendable ([String]) -> Metric

    /// `make` builds the metric for a list of label values.
    public init(_ make: @escaping @Sendable ([String]) -> Metric) {
        self.make = make
    }

    /// The metric for `values`, created the first time they are seen.
    public subscript(_ values: String...) -> Metric {
        self[values]
    }

    /// The metric for `values`, created the first time they are seen.
    public subscript(_ values: [String]) -> Metric {
        if let metric = cache.withLock({ $0[values] }) { return metric }
        let metric = make(values)
        return cache.withLock { cache in
            if let existing = cache[values] { return existing }
            cache[values] = metric
            return metric
        }
    }
}
