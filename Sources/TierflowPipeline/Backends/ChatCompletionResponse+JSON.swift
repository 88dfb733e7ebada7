import TierflowCore

// Every answer of an OpenAI-style backend is read on the fast path; whatever it refuses is read again by
// `JSONDecoder` (every field optional: absent and `null` both read as nil, a wrong type fails).

extension ChatCompletionResponse: JSONFastDecodable {
    init(json scanner: inout JSONScanner) throws {
        try scanner.object { key, scanner in
            switch key {
            case "model": model = try scanner.optionalString()
            case "choices": choices = scanner.null() ? nil : try scanner.list(of: Choice.self)
            case "usage": usage = scanner.null() ? nil : try Usage(json: &scanner)
            default: try scanner.skipValue()
            }
        }
    }
}

extension ChatCompletionResponse.Choice: JSONFastDecodable {
    init(json scanner: inout JSONScanner) throws {
        try scanner.object { key, scanner in
            switch key {
            case "message": message = scanner.null() ? nil : try Message(json: &scanner)
            case "finish_reason": finishReason = try scanner.optionalString()
            case "logprobs": logprobs = scanner.null() ? nil : try Logprobs(json: &scanner)
            default: try scanner.skipValue()
            }
        }
    }
}

extension ChatCompletionResponse.Choice.Message: JSONFastDecodable {
    init(json scanner: inout JSONScanner) throws {
        try scanner.object { key, scanner in
            switch key {
            case "content": content = try scanner.optionalString()
            case "refusal": refusal = try scanner.optionalString()
            default: try scanner.skipValue()
            }
        }
    }
}

extension ChatCompletionResponse.Choice.Logprobs: JSONFastDecodable {
    init(json scanner: inout JSONScanner) throws {
        try scanner.object { key, scanner in
            switch key {
            case "content": content = scanner.null() ? nil : try scanner.list(of: Token.self)
            default: try scanner.skipValue()
            }
        }
    }
}

extension ChatCompletionResponse.Choice.Logprobs.Token: JSONFastDecodable {
    init(json scanner: inout JSONScanner) throws {
        try scanner.object { key, scanner in
            switch key {
            case "logprob": logprob = try scanner.optionalDouble()
            default: try scanner.skipValue()
            }
        }
    }
}

extension ChatCompletionResponse.Usage: JSONFastDecodable {
    init(json scanner: inout JSONScanner) throws {
        try scanner.object { key, scanner in
            switch key {
            case "prompt_tokens": promptTokens = try scanner.optionalInt()
            case "completion_tokens": completionTokens = try scanner.optionalInt()
            default: try scanner.skipValue()
            }
        }
    }
}
