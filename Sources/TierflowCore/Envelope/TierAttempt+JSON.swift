extension TierAttempt: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("tier", tier)
        writer.field("model", model)
        writer.field("answer", answer)
        writer.field("confidence", confidence)
        writer.field("decision", decision)
        writer.field("cost_usd", costUSD)
        writer.field("tokens_in", tokensIn)
        writer.field("tokens_out", tokensOut)
        writer.field("latency_ms", latencyMilliseconds)
        writer.field("finish_reason", finishReason)
        writer.field("mean_logprob", meanLogprob)
        writer.field("min_logprob", minLogprob)
        writer.field("simulated", simulated)
        writer.field("error", error)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var tier: String?, model: String?, answer: String?, confidence: Double?, decision: String?, costUSD: Double?
        var tokensIn: Int?, tokensOut: Int?, latency: Double?, finishReason: String?, meanLogprob: Double?
        var minLogprob: Double?, simulated: Bool?, error: String?
        try scanner.object { key, scanner in
            switch key {
            case "tier": tier = try scanner.string()
            case "model": model = try scanner.string()
            case "answer": answer = try scanner.string()
            case "confidence": confidence = try scanner.optionalDouble()
            case "decision": decision = try scanner.optionalString()
            case "cost_usd": costUSD = try scanner.double()
            case "tokens_in": tokensIn = try scanner.int()
            case "tokens_out": tokensOut = try scanner.int()
            case "latency_ms": latency = try scanner.double()
            case "finish_reason": finishReason = try scanner.optionalString()
            case "mean_logprob": meanLogprob = try scanner.optionalDouble()
            case "min_logprob": minLogprob = try scanner.optionalDouble()
            case "simulated": simulated = try scanner.bool()
            case "error": error = try scanner.optionalString()
            default: try scanner.skipValue()
            }
        }
        self.init(
            tier: try JSONScanner.required(tier, "tier"), model: try JSONScanner.required(model, "model"), answer: try JSONScanner.required(answer, "answer"),
            confidence: confidence, decision: decision, costUSD: try JSONScanner.required(costUSD, "cost_usd"),
            tokensIn: try JSONScanner.required(tokensIn, "tokens_in"), tokensOut: try JSONScanner.required(tokensOut, "tokens_out"),
            latencyMilliseconds: try JSONScanner.required(latency, "latency_ms"), finishReason: finishReason, meanLogprob: meanLogprob,
            minLogprob: minLogprob, simulated: try JSONScanner.required(simulated, "simulated"), error: error)
    }
}
