import Foundation
import Logging
import TierflowCore
import TierflowHTTP

/// A backend speaking the Anthropic Messages API (`POST {endpoint}/v1/messages`).
///
/// System (and developer) messages go into the top-level `system` field; the others are sent as
/// alternating `user` / `assistant` messages, consecutive ones of the same role merged. The answer is
/// the concatenation of the response's `text` content blocks. There are no log-probabilities.
/// One call, no retries: wrap it in ``ResilientBackend`` for those. Throws ``BackendError``.
public struct AnthropicBackend: LLMBackend {
    /// The `anthropic-version` header sent with every request.
    public static let apiVersion = "2023-06-01"
    private let exchange: BackendHTTPExchange

    /// Creates a backend sending its requests with `httpClient`.
    public init(httpClient: HTTPClient, logger: Logger) {
        exchange = BackendHTTPExchange(httpClient: httpClient, logger: logger)
    }

    public func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer {
        let request = Self.request(for: prompt, tier: tier)
        var headers: HTTPHeaders = ["anthropic-version": Self.apiVersion]
        if !tier.apiKey.isEmpty {
            headers.add(name: "x-api-key", value: tier.apiKey.value)
        }
        let response = try await exchange.post(
            url: BackendHTTPExchange.url(endpoint: tier.endpoint, path: "messages"), headers: headers,
            body: try JSONEncoder().encode(request).asBytes, tier: tier)
        return try Self.answer(from: response.body, prompt: prompt, tier: tier)
    }

    /// The Messages request for `prompt`: system text apart, roles alternating, no empty messages.
    static func request(for prompt: Prompt, tier: TierConfig) -> MessagesRequest {
        var system: [String] = []
        var messages: [MessagesRequest.Message] = []
        for message in prompt.messages where !message.content.isEmpty {
            let role: String
            switch message.role {
            case "system", "developer":
                system.append(message.content)
                continue
            case "assistant":
                role = "assistant"
            default:
                role = "user"
            }
            if let last = messages.last, last.role == role {
                messages[messages.count - 1].content += "\n\n" + message.content
            } else {
                messages.append(MessagesRequest.Message(role: role, content: message.content))
            }
        }
        var systemText = system.isEmpty ? nil : system.joined(separator: "\n\n")
        if messages.isEmpty, let text = systemText {
            // The API needs at least one message: a system-only prompt becomes the question.
            messages = [MessagesRequest.Message(role: "user", content: text)]
            systemText = nil
        }
        return MessagesRequest(
            model: tier.model, maxTokens: prompt.maxTokens ?? tier.maxOutputTokens, system: systemText,
            messages: messages, temperature: 0)
    }

    /// Parses a Messages response body.
    static func answer(from body: [UInt8], prompt: Prompt, tier: TierConfig) throws(BackendError) -> BackendAnswer {
        let response: MessagesResponse
        do {
            response = try JSONDecoder().decode(MessagesResponse.self, from: Data(body))
        } catch {
            throw BackendHTTPExchange.malformed("not a Messages response", body: body, tier: tier)
        }
        guard let blocks = response.content else {
            throw BackendHTTPExchange.malformed("no content blocks", body: body, tier: tier)
        }
        let text = blocks.filter { $0.type == "text" }.compactMap(\.text).joined()
        return BackendAnswer(
            text: text, model: response.model ?? tier.model,
            tokensIn: response.usage?.inputTokens ?? BackendHTTPExchange.estimateTokens(prompt.text),
            tokensOut: response.usage?.outputTokens ?? BackendHTTPExchange.estimateTokens(text),
            finishReason: response.stopReason)
    }
}

/// The request body of the Messages API (the fields Tierflow sends).
struct MessagesRequest: Encodable, Equatable {
    struct Message: Encodable, Equatable {
        var role: String
        var content: String
    }
    var model: String
    var maxTokens: Int
    var system: String?
    var messages: [Message]
    var temperature: Double

    enum CodingKeys: String, CodingKey {
        case model, maxTokens = "max_tokens", system, messages, temperature
    }
}

/// The parts of a Messages response Tierflow reads; every field optional, checked by the parser.
struct MessagesResponse: Decodable {
    struct Block: Decodable {
        var type: String
        var text: String?
    }
    struct Usage: Decodable {
        var inputTokens: Int?
        var outputTokens: Int?

        enum CodingKeys: String, CodingKey {
            case inputTokens = "input_tokens", outputTokens = "output_tokens"
        }
    }
    var model: String?
    var content: [Block]?
    var stopReason: String?
    var usage: Usage?

    enum CodingKeys: String, CodingKey {
        case model, content, stopReason = "stop_reason", usage
    }
}
