import TierflowCore

// The completion is written for every answered request and read back for idempotent replays: the fast
// JSON path writes what `JSONEncoder` writes and reads strictly, leaving anything unusual to `JSONDecoder`.

extension OpenAIChatCompletion: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.field("object", object)
        writer.field("created", created)
        writer.field("model", model)
        writer.field("choices", choices)
        writer.field("usage", usage)
        writer.field("tierflow", tierflow)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var id: String?, object: String?, created: Int?, model: String?, choices: [Choice]?, usage: Usage?
        var tierflow: TierflowExtra?
        try scanner.object { key, scanner in
            switch key {
            case "id": id = try scanner.string()
            case "object": object = try scanner.string()
            case "created": created = try scanner.int()
            case "model": model = try scanner.string()
            case "choices": choices = try scanner.list(of: Choice.self)
            case "usage": usage = try Usage(json: &scanner)
            case "tierflow": tierflow = try TierflowExtra(json: &scanner)
            default: try scanner.skipValue()
            }
        }
        self.id = try JSONScanner.required(id, "id")
        self.object = try JSONScanner.required(object, "object")
        self.created = try JSONScanner.required(created, "created")
        self.model = try JSONScanner.required(model, "model")
        self.choices = try JSONScanner.required(choices, "choices")
        self.usage = try JSONScanner.required(usage, "usage")
        self.tierflow = try JSONScanner.required(tierflow, "tierflow")
    }
}

extension OpenAIChatCompletion.Choice: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("index", index)
        writer.field("message", message)
        writer.field("finish_reason", finishReason)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var index: Int?, message: OpenAIChatCompletion.Message?, finishReason: String?
        try scanner.object { key, scanner in
            switch key {
            case "index": index = try scanner.int()
            case "message": message = try OpenAIChatCompletion.Message(json: &scanner)
            case "finish_reason": finishReason = try scanner.string()
            default: try scanner.skipValue()
            }
        }
        self.init(
            index: try JSONScanner.required(index, "index"), message: try JSONScanner.required(message, "message"),
            finishReason: try JSONScanner.required(finishReason, "finish_reason"))
    }
}

extension OpenAIChatCompletion.Usage: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("prompt_tokens", promptTokens)
        writer.field("completion_tokens", completionTokens)
        writer.field("total_tokens", totalTokens)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var prompt: Int?, completion: Int?, total: Int?
        try scanner.object { key, scanner in
            switch key {
            case "prompt_tokens": prompt = try scanner.int()
            case "completion_tokens": completion = try scanner.int()
            case "total_tokens": total = try scanner.int()
            default: try scanner.skipValue()
            }
        }
        promptTokens = try JSONScanner.required(prompt, "prompt_tokens")
        completionTokens = try JSONScanner.required(completion, "completion_tokens")
        totalTokens = try JSONScanner.required(total, "total_tokens")
    }
}

extension TierflowExtra: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("query_id", queryId)
        writer.field("layer", layer)
        writer.field("tier", tier)
        writer.field("model", model)
        writer.field("confidence", confidence)
        writer.field("low_confidence", lowConfidence)
        writer.field("escalations", escalations)
        writer.field("cost_usd", costUSD)
        writer.field("ended_by", endedBy)
        writer.field("simulated", simulated)
        writer.field("latency_ms", latencyMilliseconds)
        writer.field("policy", policy)
        writer.field("quality_target", qualityTarget)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var queryId: String?, layer: Int?, tier: String?, model: String?, confidence: Double?, lowConfidence: Bool?
        var escalations: Int?, costUSD: Double?, endedBy: String?, simulated: Bool?, latency: Double?, policy: String?
        var qualityTarget: Double?
        try scanner.object { key, scanner in
            switch key {
            case "query_id": queryId = try scanner.string()
            case "layer": layer = try scanner.int()
            case "tier": tier = try scanner.optionalString()
            case "model": model = try scanner.string()
            case "confidence": confidence = try scanner.optionalDouble()
            case "low_confidence": lowConfidence = try scanner.bool()
            case "escalations": escalations = try scanner.int()
            case "cost_usd": costUSD = try scanner.double()
            case "ended_by": endedBy = try scanner.string()
            case "simulated": simulated = try scanner.bool()
            case "latency_ms": latency = try scanner.double()
            case "policy": policy = try scanner.string()
            case "quality_target": qualityTarget = try scanner.optionalDouble()
            default: try scanner.skipValue()
            }
        }
        self.queryId = try JSONScanner.required(queryId, "query_id")
        self.layer = try JSONScanner.required(layer, "layer")
        self.tier = tier
        self.model = try JSONScanner.required(model, "model")
        self.confidence = confidence
        self.lowConfidence = try JSONScanner.required(lowConfidence, "low_confidence")
        self.escalations = try JSONScanner.required(escalations, "escalations")
        self.costUSD = try JSONScanner.required(costUSD, "cost_usd")
        self.endedBy = try JSONScanner.required(endedBy, "ended_by")
        self.simulated = try JSONScanner.required(simulated, "simulated")
        self.latencyMilliseconds = try JSONScanner.required(latency, "latency_ms")
        self.policy = try JSONScanner.required(policy, "policy")
        self.qualityTarget = qualityTarget
    }
}
