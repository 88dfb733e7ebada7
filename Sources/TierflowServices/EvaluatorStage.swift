import Foundation
import TierflowCore
import TierflowMetrics
import TierflowPipeline
import TierflowPostgres

/// Scores each answer and either makes it the result or sends the query to the next tier.
public struct EvaluatorStage: StageHandler {
    public let stage = "evaluator"
    /// A query's final result is published only once it is committed, and only by the hop that committed it.
    ///
    /// A tier worker killed after publishing its answer but before its hop committed is redelivered the
    /// query and, with a model that does not answer the same way twice, publishes a second, different
    /// answer for the same attempt. Publishing while committing, the evaluator would then publish two
    /// different final results for one query, of which `results` keeps only the first (found by the fault
    /// suite's `kill-after-publish-changing-answers`). With the result's own hop as the primary write, the
    /// second finds it taken and publishes nothing; a redelivered message still republishes.
    public let publishesAfterCommit = true
    let scorer = ConfidenceScorer()
    let policy: EscalationPolicy
    let tiers: [TierConfig]
    let topology: PipelineTopology
    let codec: EnvelopeCodec
    let stamp: HopStamp
    /// Layer 0's cache write-back: accepted answers that clear the policy are offered to `cache`.
    let cache: Layer0CacheWriter?
    let cachePolicy: CacheWritePolicy
    let metrics = DecisionMetrics()

    public init(config: PipelineConfig, cache: Layer0CacheWriter? = nil) {
        self.cache = cache
        var cachePolicy = CacheWritePolicy(config.layer0.cache)
        // With Layer 0 off nothing reads the cache, so nothing is written to it (a benchmark or a test with
        // Layer 0 disabled must not fill the shared knowledge base with its answers).
        if !config.layer0.enabled { cachePolicy.enabled = false }
        self.cachePolicy = cachePolicy
        policy = EscalationPolicy(config: config)
        tiers = config.tiers
        topology = PipelineTopology(config: config)
        codec = EnvelopeCodec(maxMessageBytes: config.queues.maxMessageBytes)
        stamp = HopStamp(stage: "evaluator")
    }

    public func handle(_ message: IncomingMessage) async throws -> StageOutcome {
        let started = Date()
        var envelope: QueryEnvelope
        do {
            envelope = try codec.decodeEnvelope(message.body)
        } catch {
            return .rejected(error)
        }
        guard let last = envelope.history.indices.last, let tierName = envelope.tier,
            envelope.history[last].tier == tierName
        else {
            return .rejected(MessageRejection(.invalidField, "history: the evaluator needs the answer of tier \"\(envelope.tier ?? "none")\" last"))
        }
        let assessment = scorer.assess(envelope.history[last])
        envelope.history[last].confidence = assessment.confidence
        metrics.scored(tier: tierName, confidence: assessment.confidence)
        let decision = policy.decide(tier: tierName, confidence: assessment.confidence, envelope: envelope, now: started)
        let detail = codec.jsonText(assessment.signals)

        switch decision {
        case .escalate(let next):
            envelope.history[last].decision = "escalated"
            metrics.escalated(from: tierName, to: next)
            let hop = stamp.hop(
                envelope.id, stage: "evaluator", tier: tierName, attempt: envelope.attempt, started: started,
                decision: "escalate:\(next)", score: assessment.confidence, detail: detail)
            envelope.tier = next
            envelope.attempt += 1
            let publication = Publication(
                exchange: topology.workExchange, routingKey: PipelineTopology.laneKey(PipelineTopology.tierKey(next), envelope.priority),
                body: codec.encode(envelope), messageId: "\(envelope.id)/tier/\(next)/\(envelope.attempt)", type: "envelope")
            return StageOutcome(writes: [HopWrite(hop: hop)], publications: [publication])

        case .accept, .finalise:
            let accepted = decision == .accept
            envelope.history[last].decision = accepted ? "accepted" : "final"
            let chosen = accepted ? envelope.history[last] : (EscalationPolicy.bestAttempt(in: envelope.history) ?? envelope.history[last])
            let layer = (tiers.firstIndex { $0.name == chosen.tier } ?? tiers.count - 1) + 1
            let endedBy: String
            if case .finalise(let reason) = decision { endedBy = reason } else { endedBy = "accepted" }
            let result = ResultMessage(
                envelope: envelope, layer: layer, attempt: chosen, answer: chosen.answer, endedBy: endedBy,
                lowConfidence: !accepted, now: Date())
            if accepted, let cache,
                case .success(let entry) = cachePolicy.entry(for: envelope, attempt: chosen, confidence: assessment.confidence, now: started)
            {
                cache.offer(entry)  // never blocks or fails; the write is separate from this hop
            }
            let final = ResultPublications(topology: topology, codec: codec, stamp: stamp)
                .finalise(result, envelope: envelope, started: started)
            metrics.finalised(layer: layer, tier: chosen.tier, endedBy: endedBy, latencyMs: result.latencyMilliseconds)
            let hop = stamp.hop(
                envelope.id, stage: "evaluator", tier: tierName, attempt: envelope.attempt, started: started,
                decision: accepted ? "accept" : "finalise:\(endedBy)", score: assessment.confidence, detail: detail)
            // The result hop first: it is the one whose duplicate means "this query already has its result".
            return StageOutcome(writes: [final.write, HopWrite(hop: hop)], publications: final.publications)
        }
    }
}
