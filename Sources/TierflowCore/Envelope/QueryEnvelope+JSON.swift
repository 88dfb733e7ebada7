import Foundation

extension QueryEnvelope: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("schema", schema)
        writer.field("id", id)
        writer.field("source", source.rawValue)
        writer.field("received_at", receivedAt)
        writer.field("deadline", deadline)
        writer.field("priority", priority.rawValue)
        writer.field("payload", payload)
        writer.field("tier", tier)
        writer.field("history", history)
        writer.field("attempt", attempt)
        writer.field("route", route)
        writer.field("max_cost_usd", maxCostUSD)
        writer.field("quality_target", qualityTarget)
        writer.field("reply", reply)
        writer.field("batch_id", batchId)
        writer.field("linked_events", linkedEvents)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var schema: Int?, id: String?, source: Source?, receivedAt: Date?, deadline: Date?, priority: Priority?
        var payload: QueryPayload?, tier: String?, history: [TierAttempt]?, attempt: Int?, route: RoutePlan?
        var maxCostUSD: Double?, qualityTarget: Double?, reply: ReplyAddress?, batchId: String?, linkedEvents: [String]?
        try scanner.object { key, scanner in
            switch key {
            case "schema": schema = try scanner.int()
            case "id": id = try scanner.string()
            case "source": source = try scanner.enumeration(Source.self)
            case "received_at": receivedAt = try scanner.date()
            case "deadline": deadline = try scanner.optionalDate()
            case "priority": priority = try scanner.enumeration(Priority.self)
            case "payload": payload = try QueryPayload(json: &scanner)
            case "tier": tier = try scanner.optionalString()
            case "history": history = try scanner.list(of: TierAttempt.self)
            case "attempt": attempt = try scanner.int()
            case "route": route = scanner.null() ? nil : try RoutePlan(json: &scanner)
            case "max_cost_usd": maxCostUSD = try scanner.optionalDouble()
            case "quality_target": qualityTarget = try scanner.optionalDouble()
            case "reply": reply = scanner.null() ? nil : try ReplyAddress(json: &scanner)
            case "batch_id": batchId = try scanner.optionalString()
            case "linked_events": linkedEvents = try scanner.optionalStrings()
            default: try scanner.skipValue()
            }
        }
        self.init(
            id: try JSONScanner.required(id, "id"), source: try JSONScanner.required(source, "source"), receivedAt: try JSONScanner.required(receivedAt, "received_at"),
            deadline: deadline, priority: try JSONScanner.required(priority, "priority"), payload: try JSONScanner.required(payload, "payload"),
            tier: tier, history: try JSONScanner.required(history, "history"), attempt: try JSONScanner.required(attempt, "attempt"), route: route,
            maxCostUSD: maxCostUSD, qualityTarget: qualityTarget, reply: reply, batchId: batchId, linkedEvents: linkedEvents)
        self.schema = try JSONScanner.required(schema, "schema")
    }
}

extension RoutePlan: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("start_tier", startTier)
        writer.field("estimates", estimates)
        writer.field("reason", reason)
        writer.field("router", router)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var startTier: String?, estimates: [String: Double]?, reason: String?, router: String?
        try scanner.object { key, scanner in
            switch key {
            case "start_tier": startTier = try scanner.string()
            case "estimates": estimates = try JSONScanner.required(try scanner.optionalNumbers(), "estimates")
            case "reason": reason = try scanner.string()
            case "router": router = try scanner.string()
            default: try scanner.skipValue()
            }
        }
        self.init(
            startTier: try JSONScanner.required(startTier, "start_tier"), estimates: try JSONScanner.required(estimates, "estimates"),
            reason: try JSONScanner.required(reason, "reason"), router: try JSONScanner.required(router, "router"))
    }
}

extension ReplyAddress: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("reply_to", replyTo)
        writer.field("correlation_id", correlationId)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var replyTo: String?, correlationId: String?
        try scanner.object { key, scanner in
            switch key {
            case "reply_to": replyTo = try scanner.string()
            case "correlation_id": correlationId = try scanner.optionalString()
            default: try scanner.skipValue()
            }
        }
        self.init(replyTo: try JSONScanner.required(replyTo, "reply_to"), correlationId: correlationId)
    }
}
