import Foundation
import TierflowCore
import TierflowMetrics
import TierflowPipeline
import TierflowPostgres

/// Ingest and Layer 0: turns arrivals into queries and answers those the knowledge base is sure of.
///
/// For each arrival it logs an `ingest` hop on the arrival's own id and a `layer0` hop on the query
/// (shared by every arrival of an alarm flood). A hit becomes the final result at layer 0, cost 0;
/// a miss goes to the router. The `layer0` hop is the idempotency key: a repeated event or a later
/// arrival of the same flood finds it taken and publishes nothing.
public struct Layer0Stage: StageHandler {
    public let stage = "layer0"
    /// Repeated events and alarm floods enter here: publish only what is new.
    public let publishesAfterCommit = true
    let decoder: IngestDecoder
    let knowledge: KnowledgeBase
    let enabled: Bool
    let matchSettings: Layer0Matcher.Settings
    let topology: PipelineTopology
    let codec: EnvelopeCodec
    let stamp: HopStamp
    let metrics = DecisionMetrics()

    public init(config: PipelineConfig, knowledge: KnowledgeBase) {
        decoder = IngestDecoder(config: config)
        self.knowledge = knowledge
        enabled = config.layer0.enabled
        matchSettings = .init(threshold: config.layer0.similarityThreshold, margin: config.layer0.ambiguityMargin)
        topology = PipelineTopology(config: config)
        codec = EnvelopeCodec(maxMessageBytes: config.queues.maxMessageBytes)
        stamp = HopStamp(stage: "layer0")
    }

    public func handle(_ message: IncomingMessage) async throws -> StageOutcome {
        let started = Date()
        let ingested: IngestedQuery
        do {
            let metadata = IngestMetadata(
                messageId: message.messageId, correlationId: message.correlationId, replyTo: message.replyTo,
                type: message.type)
            ingested = try decoder.decode(message.body, metadata: metadata, now: started)
        } catch {
            return .rejected(error)
        }
        let envelope = ingested.envelope
        let shared = ingested.arrivalId != envelope.id

        // The arrival: its own query row (linked to the flood's query) and its ingest hop.
        let arrival = HopWrite(
            hop: stamp.hop(
                ingested.arrivalId, stage: "ingest", started: started, decision: shared ? "linked" : "accepted",
                detail: shared ? codec.jsonText(["query_id": envelope.id]) : nil),
            query: shared
                ? envelope.queryRecord(codec: codec, eventId: envelope.eventId, coalescedInto: envelope.id, id: ingested.arrivalId)
                : nil)
        let queryRow = envelope.queryRecord(codec: codec, eventId: shared ? nil : envelope.eventId)

        if enabled { await knowledge.waitUntilLoaded() }  // a process that just started answers once loaded
        if enabled, let match = knowledge.match(envelope.payload, settings: matchSettings, now: started) {
            let entry = match.entry
            let result = ResultMessage(
                envelope: envelope, layer: 0, attempt: nil, answer: entry.answer, endedBy: "layer0", lowConfidence: false,
                now: Date())
            let final = ResultPublications(topology: topology, codec: codec, stamp: stamp)
                .finalise(result, envelope: envelope, started: started)
            metrics.layer0("hit")
            metrics.finalised(layer: 0, tier: nil, endedBy: "layer0", latencyMs: result.latencyMilliseconds)
            let hit = HopWrite(
                hop: stamp.hop(
                    envelope.id, stage: "layer0", started: started, decision: "hit", score: match.score,
                    detail: codec.jsonText(["entry": entry.key, "kind": entry.kind, "method": match.method.rawValue])),
                query: queryRow)
            return StageOutcome(writes: [hit, arrival, final.write], publications: final.publications)
        }

        metrics.layer0(enabled ? "miss" : "disabled")
        let body = codec.encode(envelope)
        let miss = HopWrite(
            hop: stamp.hop(envelope.id, stage: "layer0", started: started, decision: "miss"),
            query: queryRow)
        let next = Publication(
            exchange: topology.workExchange, routingKey: PipelineTopology.laneKey(PipelineTopology.routerKey, envelope.priority), body: body,
            messageId: "\(envelope.id)/router", type: "envelope")
        return StageOutcome(writes: [miss, arrival], publications: [next])
    }
}
