import Foundation
import TierflowCore
import TierflowMetrics
import TierflowPipeline
import TierflowPostgres

/// Picks each query's start tier from the scorer's estimates and the system's state.
public struct RouterStage: StageHandler {
    public let stage = "router"
    let scorer: any TierScorer
    let chooser: TierChooser
    let state: SystemStateMonitor
    let tiers: [TierConfig]
    let prompts: PromptBuilder
    let topology: PipelineTopology
    let codec: EnvelopeCodec
    let stamp: HopStamp
    let metrics = DecisionMetrics()

    public init(config: PipelineConfig, scorer: any TierScorer, state: SystemStateMonitor) {
        self.scorer = scorer
        chooser = TierChooser(config: config)
        self.state = state
        tiers = config.tiers
        prompts = PromptBuilder(templates: config.templates)
        topology = PipelineTopology(config: config)
        codec = EnvelopeCodec(maxMessageBytes: config.queues.maxMessageBytes)
        stamp = HopStamp(stage: "router")
    }

    public func handle(_ message: IncomingMessage) async throws -> StageOutcome {
        let started = Date()
        var envelope = try codec.decodeEnvelope(message.body)
        let estimates = scorer.estimates(for: envelope, tiers: tiers)
        let promptTokens = prompts.prompt(for: envelope, askForConfidence: false, maxTokens: nil).text.utf8.count / 4
        let choice = chooser.choose(
            estimates: estimates, envelope: envelope, promptTokens: promptTokens, state: state.current, now: started)
        let tier = tiers[choice.index].name
        let byTier = Dictionary(uniqueKeysWithValues: zip(tiers.map(\.name), estimates))
        envelope.route = RoutePlan(startTier: tier, estimates: byTier, reason: choice.reason, router: scorer.name)
        envelope.tier = tier
        envelope.attempt = 0
        metrics.routed(to: tier)

        let hop = stamp.hop(
            envelope.id, stage: "router", started: started, decision: "route:\(tier)", score: estimates[choice.index],
            model: scorer.name, detail: codec.jsonText(envelope.route))
        let next = Publication(
            exchange: topology.workExchange, routingKey: PipelineTopology.laneKey(PipelineTopology.tierKey(tier), envelope.priority), body: codec.encode(envelope),
            messageId: "\(envelope.id)/tier/\(tier)/0", type: "envelope")
        return StageOutcome(writes: [HopWrite(hop: hop)], publications: [next])
    }
}
