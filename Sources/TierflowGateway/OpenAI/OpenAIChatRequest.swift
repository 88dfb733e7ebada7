import TierflowCore

/// A `POST /v1/chat/completions` body in OpenAI's format (the fields Tierflow reads; others are ignored).
public struct OpenAIChatRequest: Decodable, Sendable, Hashable {
    /// One message; `content` is text, a list of text parts, or null (an assistant turn with tool calls).
    public struct Message: Decodable, Sendable, Hashable {
        public var role: String
        public var content: String

        enum CodingKeys: String, CodingKey { case role, content }

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            if try container.decodeNil(forKey: .content) {
                content = ""
            } else if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else {
                let parts = try container.decode([ContentPart].self, forKey: .content)
                content = try parts.map { part throws -> String in
                    guard part.type == "text", let text = part.text else {
                        throw DecodingError.dataCorruptedError(
                            forKey: .content, in: container,
                            debugDescription: "only text content parts are supported, got \"\(part.type)\"")
                    }
                    return text
                }.joined(separator: "\n")
            }
        }
    }

    struct ContentPart: Decodable, Hashable {
        var type: String
        var text: String?
    }

    /// `stream_options`: `include_usage` adds a last chunk with the token counts.
    public struct StreamOptions: Decodable, Sendable, Hashable {
        public var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    public var model: String?
    public var messages: [Message]
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var temperature: Double?
    public var user: String?
    /// Number of choices; only 1 is supported.
    public var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, streamOptions = "stream_options", maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens", temperature, user, n
    }

    /// Roles accepted in `messages`.
    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]

    /// The pipeline's form of this request, under the routing policy `model`.
    public func chatRequest(model: String) -> ChatRequest {
        ChatRequest(
            messages: messages.map { ChatRequest.Message(role: $0.role, content: $0.content) }, model: model,
            maxTokens: maxCompletionTokens ?? maxTokens, temperature: temperature, user: user)
    }
}
