import Foundation
import TierflowCore

/// A final answer, as published to the results exchange and to a caller's `reply_to` queue.
///
/// Subscribers may see a result more than once after a crash or reconnect (delivery is at least
/// once); `query_id` is also the AMQP message id, so they can drop repeats. PostgreSQL's `results`
/// table holds exactly one row per query.
public struct ResultMessage: Codable, Sendable, Hashable {
    public var queryId: String
    public var source: QueryEnvelope.Source
    /// 0 for the knowledge base / cache, otherwise the tier's position + 1.
    public var layer: Int
    public var tier: String?
    public var model: String?
    public var answer: String
    public var confidence: Double?
    /// The top tier, a deadline or the spend cap ended the chain below the tier's threshold.
    public var lowConfidence: Bool
    /// `accepted`, `layer0`, `top_tier`, `deadline` or `budget`.
    public var endedBy: String
    public var escalations: Int
    public var costUSD: Double
    public var latencyMilliseconds: Double
    /// The answer came from the simulated backend: not a real model's answer.
    public var simulated: Bool
    public var site: String?
    public var asset: String?
    /// Event ids answered by this result (an alarm flood has several).
    public var linkedEvents: [String]?
    public var history: [TierAttempt]

    public init(
        queryId: String, source: QueryEnvelope.Source, layer: Int, tier: String?, model: String?, answer: String,
        confidence: Double?, lowConfidence: Bool, endedBy: String, escalations: Int, costUSD: Double,
        latencyMilliseconds: Double, simulated: Bool, site: String?, asset: String?, linkedEvents: [String]?,
        history: [TierAttempt]
    ) {
        self.queryId = queryId
        self.source = source
        self.layer = layer
        self.tier = tier
        self.model = model
        self.answer = answer
        self.confidence = confidence
        self.lowConfidence = lowConfidence
        self.endedBy = endedBy
        self.escalations = escalations
        self.costUSD = costUSD
        self.latencyMilliseconds = latencyMilliseconds
        self.simulated = simulated
        self.site = site
        self.asset = asset
        self.linkedEvents = linkedEvents
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case queryId = "query_id", source, layer, tier, model, answer, confidence, lowConfidence = "low_confidence"
        case endedBy = "ended_by", escalations, costUSD = "cost_usd", latencyMilliseconds = "latency_ms", simulated
        case site, asset, linkedEvents = "linked_events", history
    }

    /// The results exchange routing key: `result.<source>.<site>.<asset>` (`-` where unknown).
    public var routingKey: String {
        func part(_ text: String?) -> String {
            guard let text, !text.isEmpty else { return "-" }
            // ASCII text byte by byte (its characters are its bytes); other text by character.
            if text.utf8.allSatisfy({ $0 < 0x80 }) {
                return String(decoding: text.utf8.map { ".*# ".utf8.contains($0) ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
            }
            return String(text.map { $0 == "." || $0 == "*" || $0 == "#" || $0 == " " ? "_" : $0 })
        }
        return "result.\(source.rawValue).\(part(site)).\(part(asset))"
    }
}

extension ResultMessage {
    /// The result for `envelope` answered by `attempt` (nil for Layer 0), ended for `endedBy`.
    public init(envelope: QueryEnvelope, layer: Int, attempt: TierAttempt?, answer: String, endedBy: String, lowConfidence: Bool, now: Date) {
        let event = envelope.payload.faultEvent
        self.init(
            queryId: envelope.id, source: envelope.source, layer: layer, tier: attempt?.tier, model: attempt?.model,
            answer: answer, confidence: attempt?.confidence ?? (layer == 0 ? 1 : nil), lowConfidence: lowConfidence,
            endedBy: endedBy, escalations: max(0, envelope.history.count - 1), costUSD: envelope.costSoFar,
            latencyMilliseconds: max(0, now.timeIntervalSince(envelope.receivedAt) * 1000),
            simulated: attempt?.simulated ?? false, site: event?.site, asset: event?.asset,
            linkedEvents: envelope.linkedEvents, history: envelope.history)
    }
}
