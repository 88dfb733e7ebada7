import TierflowCore

extension ResultMessage: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("query_id", queryId)
        writer.field("source", source.rawValue)
        writer.field("layer", layer)
        writer.field("tier", tier)
        writer.field("model", model)
        writer.field("answer", answer)
        writer.field("confidence", confidence)
        writer.field("low_confidence", lowConfidence)
        writer.field("ended_by", endedBy)
        writer.field("escalations", escalations)
        writer.field("cost_usd", costUSD)
        writer.field("latency_ms", latencyMilliseconds)
        writer.field("simulated", simulated)
        writer.field("site", site)
        writer.field("asset", asset)
        writer.field("linked_events", linkedEvents)
        writer.field("history", history)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var queryId: String?, source: QueryEnvelope.Source?, layer: Int?, tier: String?, model: String?, answer: String?
        var confidence: Double?, lowConfidence: Bool?, endedBy: String?, escalations: Int?, costUSD: Double?
        var latency: Double?, simulated: Bool?, site: String?, asset: String?, linkedEvents: [String]?, history: [TierAttempt]?
        try scanner.object { key, scanner in
            switch key {
            case "query_id": queryId = try scanner.string()
            case "source": source = try scanner.enumeration(QueryEnvelope.Source.self)
            case "layer": layer = try scanner.int()
            case "tier": tier = try scanner.optionalString()
            case "model": model = try scanner.optionalString()
            case "answer": answer = try scanner.string()
            case "confidence": confidence = try scanner.optionalDouble()
            case "low_confidence": lowConfidence = try scanner.bool()
            case "ended_by": endedBy = try scanner.string()
            case "escalations": escalations = try scanner.int()
            case "cost_usd": costUSD = try scanner.double()
            case "latency_ms": latency = try scanner.double()
            case "simulated": simulated = try scanner.bool()
            case "site": site = try scanner.optionalString()
            case "asset": asset = try scanner.optionalString()
            case "linked_events": linkedEvents = try scanner.optionalStrings()
            case "history": history = try scanner.list(of: TierAttempt.self)
            default: try scanner.skipValue()
            }
        }
        self.init(
            queryId: try JSONScanner.required(queryId, "query_id"), source: try JSONScanner.required(source, "source"),
            layer: try JSONScanner.required(layer, "layer"), tier: tier, model: model,
            answer: try JSONScanner.required(answer, "answer"), confidence: confidence,
            lowConfidence: try JSONScanner.required(lowConfidence, "low_confidence"),
            endedBy: try JSONScanner.required(endedBy, "ended_by"), escalations: try JSONScanner.required(escalations, "escalations"),
            costUSD: try JSONScanner.required(costUSD, "cost_usd"), latencyMilliseconds: try JSONScanner.required(latency, "latency_ms"),
            simulated: try JSONScanner.required(simulated, "simulated"), site: site, asset: asset, linkedEvents: linkedEvents,
            history: try JSONScanner.required(history, "history"))
    }
}
