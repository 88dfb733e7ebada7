import TierflowCore

/// An `Idempotency-Key` header value, checked, and what is derived from it.
///
/// A key is 1 to 255 visible ASCII characters (`!` to `~`, no spaces), like Stripe's and OpenAI's clients send
/// (they use `stainless-python-retry-<uuid>` and UUIDs). It is scoped to the API key that sent it.
public struct IdempotencyKey: Sendable, Hashable {
    /// The header's name.
    public static let headerName = "Idempotency-Key"
    /// The longest key accepted.
    public static let maxLength = 255

    public let value: String

    /// Checks `value`; throws 400 `invalid_idempotency_key` when it is empty, too long or has other characters.
    public init(_ value: String) throws(GatewayError) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else {
            throw GatewayError.badRequest(
                "The Idempotency-Key header is empty.", code: "invalid_idempotency_key", param: Self.headerName)
        }
        guard bytes.count <= Self.maxLength else {
            throw GatewayError.badRequest(
                "The Idempotency-Key header is \(bytes.count) characters long; at most \(Self.maxLength) are allowed.",
                code: "invalid_idempotency_key", param: Self.headerName)
        }
        guard bytes.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw GatewayError.badRequest(
                "The Idempotency-Key header may only hold visible ASCII characters (no spaces or control characters).",
                code: "invalid_idempotency_key", param: Self.headerName)
        }
        self.value = value
    }

    /// The query id of the `generation`-th use of this key by `keyId`: `chat-` and 24 hex characters of a
    /// SHA-256, so a query re-published by a request that takes over carries the same id (and the pipeline
    /// drops the repeat), while a key reused after its retention window gets a new query.
    public func queryId(keyId: String, generation: Int) -> String {
        "chat-" + String(SHA256.hex("tierflow-idempotency\u{1}\(keyId)\u{1}\(value)\u{1}\(generation)").prefix(24))
    }

    /// SHA-256 (hex) over what the query is made of: the routing policy, the messages, `max_tokens`,
    /// `temperature` and `user`. `stream` and fields the gateway ignores do not count, so a retry may switch
    /// between streamed and whole answers.
    public static func fingerprint(of chat: ChatRequest) -> String {
        var text = "v1"
        func field(_ name: String, _ value: String?) {
            guard let value else {
                text += "\n\(name)=-"
                return
            }
            text += "\n\(name)=\(value.utf8.count):\(value)"
        }
        field("model", chat.model)
        for message in chat.messages {
            field("role", message.role)
            field("content", message.content)
        }
        field("max_tokens", chat.maxTokens.map { String($0) })
        field("temperature", chat.temperature.map { String($0) })
        field("user", chat.user)
        return SHA256.hex(text)
    }
}
