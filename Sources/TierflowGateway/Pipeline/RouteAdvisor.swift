import Foundation
import TierflowCore
import TierflowPipeline

/// The routing-only answer (`POST /v1/route`): the tier the router would start a query at, and why.
public struct RouteDecision: Codable, Sendable, Hashable {
    /// One tier as the decision saw it.
    public struct TierEstimate: Codable, Sendable, Hashable {
        public var name: String
        public var model: String
        /// Estimated probability that this tier answers acceptably.
        public var estimate: Double
        /// Expected cost of one answer from this tier alone, in USD.
        public var costUSD: Double
        public var simulated: Bool
        enum CodingKeys: String, CodingKey { case name, model, estimate, costUSD = "cost_usd", simulated }
    }

    public var object = "tierflow.route"
    /// The routing policy (the request's `model`).
    public var model: String
    /// The chosen start tier.
    public var tier: String
    /// Its layer (tier position + 1).
    public var layer: Int
    /// Estimated success per tier name.
    public var estimates: [String: Double]
    public var tiers: [TierEstimate]
    public var qualityTarget: Double
    public var reason: String
    /// The scorer that estimated (`transparent`, or a learned model's version).
    public var router: String

    enum CodingKeys: String, CodingKey {
        case object, model, tier, layer, estimates, tiers, qualityTarget = "quality_target", reason, router
    }
}

/// Decides a query's start tier with the same scorer and ``TierChooser`` as the router stage, without
/// publishing anything or calling a model. The knowledge base (Layer 0) is not consulted, and the decision
/// sees no queue or spend state (the router stage adds those when the query really runs).
public struct RouteAdvisor: Sendable {
    let scorer: any TierScorer
    let chooser: TierChooser
    let prompts: PromptBuilder
    let tiers: [TierConfig]

    public init(config: PipelineConfig, scorer: any TierScorer) {
        self.scorer = scorer
        chooser = TierChooser(config: config)
        prompts = PromptBuilder(templates: config.templates)
        tiers = config.tiers
    }

    /// The scorer's name.
    public var scorerName: String { scorer.name }

    /// The decision for `envelope` under `policy`.
    public func decide(_ envelope: QueryEnvelope, policy: RoutingPolicy, now: Date = Date()) -> RouteDecision {
        let estimates = scorer.estimates(for: envelope, tiers: tiers)
        let promptTokens = prompts.prompt(for: envelope, askForConfidence: false, maxTokens: nil).text.utf8.count / 4
        let choice = chooser.choose(
            estimates: estimates, envelope: envelope, promptTokens: promptTokens, state: SystemState(), now: now)
        let rows = zip(tiers, estimates).map { tier, estimate in
            RouteDecision.TierEstimate(
                name: tier.name, model: tier.model, estimate: estimate,
                costUSD: tier.price.cost(inputTokens: promptTokens, outputTokens: chooser.expectedOutputTokens),
                simulated: tier.isSimulated)
        }
        return RouteDecision(
            model: policy.name, tier: tiers[choice.index].name, layer: choice.index + 1,
            estimates: Dictionary(uniqueKeysWithValues: zip(tiers.map(\.name), estimates)), tiers: rows,
            qualityTarget: envelope.qualityTarget ?? chooser.qualityTarget, reason: choice.reason, router: scorer.name)
    }
}
