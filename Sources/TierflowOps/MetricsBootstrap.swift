import CoreMetrics
import Prometheus
import Synchronization
import TierflowMetrics

/// Installs the Prometheus backend for swift-metrics, once per process.
///
/// Metric objects created before the bootstrap stay no-ops for good, so a process bootstraps before it
/// creates its stages (``WorkerContext`` does it on connect when `ops.metrics_port` is set).
public enum MetricsBootstrap {
    private static let installed = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The registry every metric of this process is in, bootstrapping on first call.
    @discardableResult
    public static func once() -> PrometheusCollectorRegistry {
        installed.withLock { installed in
            if let installed { return installed }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.durationHistogramBuckets = MetricCatalog.durationBuckets
            factory.valueHistogramBuckets = MetricCatalog.valueBuckets
            MetricsSystem.bootstrap(factory)
            installed = registry
            return registry
        }
    }

    /// The registry, if this process bootstrapped metrics.
    public static var registry: PrometheusCollectorRegistry? { installed.withLock { $0 } }
}
