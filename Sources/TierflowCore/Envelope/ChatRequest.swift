/// A chat-style question in OpenAI's format.
public struct ChatRequest: Codable, Sendable, Hashable {
    /// One message of the conversation.
    public struct Message: Codable, Sendable, Hashable {
        /// `system`, `user`, `assistant` (or `tool`, `developer`).
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public var messages: [Message]
    /// The routing policy or model the caller asked for (`tierflow`, `router-mf-0.5`, …).
    public var model: String?
    public var maxTokens: Int?
    public var temperature: Double?
    /// The caller's own user id, passed through.
    public var user: String?

    public init(messages: [Message], model: String? = nil, maxTokens: Int? = nil, temperature: Double? = nil, user: String? = nil) {
        self.messages = messages
        self.model = model
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case messages, model, maxTokens = "max_tokens", temperature, user
    }

    /// The last user message, which is what the query asks.
    public var question: String {
        messages.last { $0.role == "user" }?.content ?? messages.last?.content ?? ""
    }
}
