import TierflowCore

// Every chat request is read on the fast path; anything it refuses (a non-text content part, a wrong type)
// is read again by `JSONDecoder`, which accepts it or names what is wrong.

extension OpenAIChatRequest: JSONFastDecodable {
    public init(json scanner: inout JSONScanner) throws {
        var model: String?, messages: [Message]?, stream: Bool?, streamOptions: StreamOptions?, maxTokens: Int?
        var maxCompletionTokens: Int?, temperature: Double?, user: String?, n: Int?
        try scanner.object { key, scanner in
            switch key {
            case "model": model = try scanner.optionalString()
            case "messages": messages = try scanner.list(of: Message.self)
            case "stream": stream = scanner.null() ? nil : try scanner.bool()
            case "stream_options": streamOptions = scanner.null() ? nil : try StreamOptions(json: &scanner)
            case "max_tokens": maxTokens = try scanner.optionalInt()
            case "max_completion_tokens": maxCompletionTokens = try scanner.optionalInt()
            case "temperature": temperature = try scanner.optionalDouble()
            case "user": user = try scanner.optionalString()
            case "n": n = try scanner.optionalInt()
            default: try scanner.skipValue()
            }
        }
        self.model = model
        self.messages = try JSONScanner.required(messages, "messages")
        self.stream = stream
        self.streamOptions = streamOptions
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.temperature = temperature
        self.user = user
        self.n = n
    }
}

extension OpenAIChatRequest.Message: JSONFastDecodable {
    public init(json scanner: inout JSONScanner) throws {
        var role: String?, content: String?
        try scanner.object { key, scanner in
            switch key {
            case "role": role = try scanner.string()
            case "content": content = try Self.content(&scanner)
            default: try scanner.skipValue()
            }
        }
        self.init(role: try JSONScanner.required(role, "role"), content: try JSONScanner.required(content, "content"))
    }

    /// Text, `null` (read as empty) or a list of text parts joined by line breaks; other parts throw.
    private static func content(_ scanner: inout JSONScanner) throws -> String {
        if scanner.null() { return "" }
        if scanner.nextIsString() { return try scanner.string() }
        var texts: [String] = []
        try scanner.array { scanner in
            var type: String?, text: String?
            try scanner.object { key, scanner in
                switch key {
                case "type": type = try scanner.string()
                case "text": text = try scanner.optionalString()
                default: try scanner.skipValue()
                }
            }
            guard type == "text", let text else { throw MissingJSONField(name: "text") }
            texts.append(text)
        }
        return texts.joined(separator: "\n")
    }
}

extension OpenAIChatRequest.StreamOptions: JSONFastDecodable {
    public init(json scanner: inout JSONScanner) throws {
        var includeUsage: Bool?
        try scanner.object { key, scanner in
            switch key {
            case "include_usage": includeUsage = scanner.null() ? nil : try scanner.bool()
            default: try scanner.skipValue()
            }
        }
        self.includeUsage = includeUsage
    }
}
