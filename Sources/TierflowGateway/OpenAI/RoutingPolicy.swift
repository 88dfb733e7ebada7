import Foundation
import TierflowCore

/// What the request's `model` selects: how high the quality bar is for this query.
///
/// - `tierflow`: `router.quality_target` from the configuration;
/// - `tierflow-quality`: `gateway.high_quality_target` (0.9 by default);
/// - `router-<policy>-<threshold>` (RouteLLM's form, e.g. `router-mf-0.11593`): RouteLLM sends a query to
///   the strong model when the router's win-rate estimate for it reaches the threshold, so a *lower*
///   threshold means more strong-model calls. Tierflow picks the cheapest tier whose success estimate
///   reaches its quality target, so the threshold t in [0, 1] becomes the quality target `1 − t`
///   (t = 0: only a tier estimated certain to answer well is cheap enough; t = 1: the cheapest tier).
///   `<policy>` (`mf`, `bert`, `sw_ranking`, `causal_llm`, …) is recorded; the configured scorer decides.
public struct RoutingPolicy: Sendable, Hashable {
    /// The `model` string as given.
    public var name: String
    /// The quality target for the query; nil means `router.quality_target`.
    public var qualityTarget: Double?

    public init(name: String, qualityTarget: Double?) {
        self.name = name
        self.qualityTarget = qualityTarget
    }

    /// The default policy's name.
    public static let defaultName = "tierflow"
    /// The high-quality policy's name.
    public static let qualityName = "tierflow-quality"

    /// The policy `model` names, or nil when it names none.
    public static func parse(_ model: String?, config: GatewayConfig) -> RoutingPolicy? {
        let name = (model ?? "").isEmpty ? defaultName : model!
        switch name {
        case defaultName: return RoutingPolicy(name: name, qualityTarget: nil)
        case qualityName: return RoutingPolicy(name: name, qualityTarget: config.highQualityTarget)
        default: break
        }
        guard name.hasPrefix("router-"), let dash = name.lastIndex(of: "-") else { return nil }
        let policy = name[name.index(name.startIndex, offsetBy: 7)..<dash]
        let thresholdText = name[name.index(after: dash)...]
        guard !policy.isEmpty, policy.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
            let threshold = Double(thresholdText), (0...1).contains(threshold)
        else { return nil }
        return RoutingPolicy(name: name, qualityTarget: 1 - threshold)
    }

    /// The model ids `GET /v1/models` lists: the two named policies and the RouteLLM form at the default target.
    public static func listed(scorerName: String, defaultTarget: Double) -> [String] {
        let threshold = String(format: "%.2f", max(0, min(1, 1 - defaultTarget)))
        let policy = String(scorerName.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        return [defaultName, qualityName, "router-\(policy.isEmpty ? "tierflow" : policy)-\(threshold)"]
    }
}
