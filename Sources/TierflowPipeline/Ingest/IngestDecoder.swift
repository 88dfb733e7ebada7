import Foundation
import TierflowCore

/// What arrived on the ingest exchange, turned into a query.
public struct IngestedQuery: Sendable, Hashable {
    /// The query to answer. For an alarm flood this is the flood's shared query.
    public var envelope: QueryEnvelope
    /// The id of this arrival's own query record: for a fault event, derived from its event id.
    public var arrivalId: String
    /// Whether this arrival may share its answer with others of the same flood.
    public var coalescible: Bool
}

/// Metadata of an ingest message that the decoder uses (from its AMQP properties).
public struct IngestMetadata: Sendable, Hashable {
    public var messageId: String?
    public var correlationId: String?
    public var replyTo: String?
    /// `fault_event`, `chat` or `envelope`; detected from the body when absent.
    public var type: String?

    public init(messageId: String? = nil, correlationId: String? = nil, replyTo: String? = nil, type: String? = nil) {
        self.messageId = messageId
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.type = type
    }
}

/// Turns raw ingest messages — SCADA fault events, OpenAI-style chat requests, or ready envelopes —
/// into queries with deterministic ids, refusing bad input with a reason.
///
/// Ids: a fault event's arrival id is derived from its site and event id, so a repeated event id is
/// one query. Repeats of one fault signature (fault code, or tag and alarm type) on one asset within
/// one flood window share the query id derived from that signature and window: the flood costs one
/// diagnosis and every event in it is linked to that query.
public struct IngestDecoder: Sendable {
    public var codec: EnvelopeCodec
    public var defaultDeadline: Duration
    public var floodWindowSeconds: Double

    public init(codec: EnvelopeCodec, defaultDeadline: Duration, floodWindowSeconds: Double) {
        self.codec = codec
        self.defaultDeadline = defaultDeadline
        self.floodWindowSeconds = floodWindowSeconds
    }

    public init(config: PipelineConfig) {
        self.init(
            codec: EnvelopeCodec(maxMessageBytes: config.queues.maxMessageBytes),
            defaultDeadline: .milliseconds(Int(config.ingest.defaultDeadlineSeconds * 1000)),
            floodWindowSeconds: config.ingest.floodWindowSeconds)
    }

    /// Decodes one ingest message received at `now`.
    public func decode(_ body: [UInt8], metadata: IngestMetadata, now: Date) throws(MessageRejection) -> IngestedQuery {
        try codec.validate(body)
        let kind = metadata.type ?? Self.detectKind(body)
        let reply = metadata.replyTo.map { ReplyAddress(replyTo: $0, correlationId: metadata.correlationId) }
        let deadline = now.addingTimeInterval(Double(defaultDeadline.components.seconds) + Double(defaultDeadline.components.attoseconds) / 1e18)
        switch kind {
        case "envelope":
            var envelope = try codec.decodeEnvelope(body)
            if envelope.reply == nil { envelope.reply = reply }
            return IngestedQuery(envelope: envelope, arrivalId: envelope.id, coalescible: false)
        case "fault_event":
            let event = try codec.decode(FaultEvent.self, from: body)
            try Self.require(!event.eventId.isEmpty, "event_id: must not be empty")
            try Self.require(!event.site.isEmpty, "site: must not be empty")
            try Self.require(!event.asset.isEmpty, "asset: must not be empty")
            let arrivalId = "evt-" + StableHash.hex("event", event.site, event.eventId).prefix(24)
            let floodId = floodQueryId(for: event, now: now)
            let envelope = QueryEnvelope(
                id: floodId ?? arrivalId, source: .scada, receivedAt: now, deadline: deadline,
                payload: .faultEvent(event), reply: reply, linkedEvents: [event.eventId])
            return IngestedQuery(envelope: envelope, arrivalId: arrivalId, coalescible: floodId != nil)
        case "chat":
            let chat = try codec.decode(ChatRequest.self, from: body)
            try Self.require(!chat.messages.isEmpty, "messages: at least one message is needed")
            try Self.require(!chat.question.isEmpty, "messages: the last message has no content")
            let identity = metadata.messageId ?? StableHash.hex(String(decoding: body, as: UTF8.self), metadata.correlationId ?? "", metadata.replyTo ?? "")
            let id = "chat-" + StableHash.hex("chat", identity).prefix(24)
            let envelope = QueryEnvelope(id: id, source: .chat, receivedAt: now, deadline: deadline, payload: .chat(chat), reply: reply)
            return IngestedQuery(envelope: envelope, arrivalId: id, coalescible: false)
        case "not_json":
            throw MessageRejection(.notJSON, "not valid JSON")
        default:
            if (try? JSONSerialization.jsonObject(with: Data(body))) == nil {
                throw MessageRejection(.notJSON, "not valid JSON")
            }
            throw MessageRejection(.invalidField, "unknown message type \"\(kind)\" (expected fault_event, chat or envelope)")
        }
    }

    /// The shared query id of `event`'s flood, or nil when coalescing is off or the event has no signature.
    func floodQueryId(for event: FaultEvent, now: Date) -> String? {
        guard floodWindowSeconds > 0 else { return nil }
        let signature: String
        if let code = event.faultCode, !code.isEmpty {
            signature = "code:" + code
        } else if let tag = event.tag, !tag.isEmpty {
            signature = "tag:" + tag + "/" + (event.alarmType ?? "")
        } else {
            return nil
        }
        let time = event.timestamp.flatMap(Timestamp.parse) ?? now
        let bucket = Int((time.timeIntervalSince1970 / floodWindowSeconds).rounded(.down))
        return "q-" + StableHash.hex("flood", event.site, event.asset, signature, String(bucket)).prefix(24)
    }

    static func detectKind(_ body: [UInt8]) -> String {
        // A cheap look at the top-level keys, enough to choose the decoder; the decoder reports problems.
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        if text.contains("\"schema\"") && text.contains("\"payload\"") { return "envelope" }
        if text.contains("\"messages\"") { return "chat" }
        if text.contains("\"event_id\"") || text.contains("\"fault_code\"") { return "fault_event" }
        if text.first(where: { !$0.isWhitespace }) != "{" { return "not_json" }
        return "unknown"
    }

    private static func require(_ condition: Bool, _ reason: String) throws(MessageRejection) {
        if !condition { throw MessageRejection(.invalidField, reason) }
    }
}
