/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}` (param and code may be null).
public struct OpenAIErrorBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?

        enum CodingKeys: String, CodingKey { case message, type, param, code }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }
    }

    public var error: Detail

    public init(_ error: GatewayError) {
        self.error = Detail(message: error.message, type: error.type, param: error.param, code: error.code)
    }
}
