import TierflowHTTP
import TierflowPipeline

/// Stores a new model and makes it live, unless the active model does better on held-back data.
public struct RouterModelActivator: Sendable {
    /// What happened.
    public enum Outcome: Sendable {
        /// Stored as `version` and active; `comparison` is nil when nothing was active or comparable.
        case activated(version: Int, comparison: RouterModelComparison?)
        /// Not stored: the active `version` is better on held-back data.
        case refused(activeVersion: Int, comparison: RouterModelComparison)
    }

    let store: RouterModelStore

    public init(store: RouterModelStore) {
        self.store = store
    }

    /// Compares `model` with the active one on `heldBack`; stores and activates it when it is no worse,
    /// when nothing is active or comparable, or when `force` is set.
    public func activate(
        _ model: RouterModel, metrics: [String: Double], heldBack: [RoutingExample], force: Bool = false,
        httpClient: HTTPClient? = nil
    ) async throws -> Outcome {
        var metrics = metrics
        var comparison: RouterModelComparison?
        if let active = try await store.loadActive() {
            comparison = try await RouterModelComparison.compare(
                candidate: model, incumbent: active.model, on: heldBack, httpClient: httpClient)
            if let comparison {
                metrics["compare.candidate_logloss"] = comparison.candidateLoss
                metrics["compare.active_logloss"] = comparison.incumbentLoss
                metrics["compare.active_version"] = Double(active.version)
                if !comparison.candidateIsNoWorse && !force {
                    return .refused(activeVersion: active.version, comparison: comparison)
                }
            }
        }
        let version = try await store.save(model, metrics: metrics, activate: true)
        return .activated(version: version, comparison: comparison)
    }
}
