import Foundation
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// Builds hop rows for one worker: who did the hop and when it started.
public struct HopStamp: Sendable {
    /// `host:pid:stage[:tier]`, unique per worker process.
    public let worker: String

    public init(stage: String, tier: String? = nil) {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        worker = [host, String(pid), stage, tier].compactMap { $0 }.joined(separator: ":")
    }

    /// A hop row for `queryId` that started at `started` and ends now.
    public func hop(
        _ queryId: String, stage: String, tier: String = "", attempt: Int = 0, started: Date, decision: String,
        score: Double? = nil, model: String? = nil, tokensIn: Int? = nil, tokensOut: Int? = nil, costUSD: Double = 0,
        error: String? = nil, detail: String? = nil, output: String? = nil
    ) -> HopRecord {
        HopRecord(
            queryId: queryId, stage: stage, tier: tier, attempt: attempt, worker: worker, startedAt: started,
            finishedAt: Date(), decision: decision, score: score, model: model, tokensIn: tokensIn, tokensOut: tokensOut,
            costUSD: costUSD, error: error.map(TextSanitiser.clean), detail: detail, output: output)
    }
}

/// Makes text safe for PostgreSQL `text`/`jsonb`, which refuse NUL characters.
public enum TextSanitiser {
    /// `text` with every NUL replaced by U+FFFD.
    public static func clean(_ text: String) -> String {
        PostgresValue.sanitised(text)  // memchr over the UTF-8; replaces only when a NUL is there
    }
}

extension EnvelopeCodec {
    /// `value` as JSON text, for `jsonb` columns.
    func jsonText(_ value: some Encodable) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }
}

extension QueryEnvelope {
    /// The `queries` row for this query.
    func queryRecord(codec: EnvelopeCodec, eventId: String? = nil, coalescedInto: String? = nil, id: String? = nil) -> QueryRecord {
        let event = payload.faultEvent
        return QueryRecord(
            id: id ?? self.id, source: source.rawValue, eventId: eventId, coalescedInto: coalescedInto,
            receivedAt: receivedAt, deadline: deadline, priority: priority.rawValue, site: event?.site, asset: event?.asset,
            payload: codec.jsonText(payload))
    }
}

extension ResultMessage {
    /// The `results` row for this result.
    func resultRecord(codec: EnvelopeCodec) -> ResultRecord {
        ResultRecord(
            queryId: queryId, source: source.rawValue, layer: layer, tier: tier, model: model,
            answer: TextSanitiser.clean(answer), confidence: confidence, lowConfidence: lowConfidence, endedBy: endedBy,
            escalations: escalations, costUSD: costUSD, latencyMs: latencyMilliseconds, simulated: simulated, site: site,
            asset: asset, history: codec.jsonText(history))
    }
}
