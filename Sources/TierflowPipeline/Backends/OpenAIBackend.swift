import Foundation
import Logging
import TierflowCore
import TierflowHTTP

/// A backend speaking OpenAI chat completions (`POST {endpoint}/v1/chat/completions`): OpenAI, vLLM,
/// llama.cpp server, Ollama's `/v1`, Groq, Together.
///
/// Asks for token log-probabilities (`logprobs: true`) and reports their mean and minimum when the
/// server returns them. Token counts come from `usage`, or are estimated at about four characters a
/// token when it is missing. Sends `Authorization: Bearer` only when the tier has an API key.
/// One call, no retries: wrap it in ``ResilientBackend`` for those. Throws ``BackendError``.
public struct OpenAIBackend: LLMBackend {
    private let exchange: BackendHTTPExchange

    /// Creates a backend sending its requests with `httpClient`.
    public init(httpClient: HTTPClient, logger: Logger) {
        exchange = BackendHTTPExchange(httpClient: httpClient, logger: logger)
    }

    public func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer {
        let request = ChatCompletionRequest(
            model: tier.model, messages: prompt.messages, maxTokens: prompt.maxTokens ?? tier.maxOutputTokens,
            temperature: 0, logprobs: true)
        var headers = HTTPHeaders()
        if !tier.apiKey.isEmpty {
            headers.add(name: "Authorization", value: "Bearer \(tier.apiKey.value)")
        }
        let response = try await exchange.post(
            url: BackendHTTPExchange.url(endpoint: tier.endpoint, path: "chat/completions"), headers: headers,
            body: Self.body(of: request), tier: tier)
        return try Self.answer(from: response.body, prompt: prompt, tier: tier)
    }

    /// Parses a chat-completions response body.
    static func answer(from body: [UInt8], prompt: Prompt, tier: TierConfig) throws(BackendError) -> BackendAnswer {
        // The fast reader takes what it can read strictly; JSONDecoder decides about anything else.
        let completion: ChatCompletionResponse
        if let fast = ChatCompletionResponse.fastDecoded(from: body) {
            completion = fast
        } else {
            do {
                completion = try decoder.decode(ChatCompletionResponse.self, from: Data(body))
            } catch {
                throw BackendHTTPExchange.malformed("not a chat completion", body: body, tier: tier)
            }
        }
        guard let choice = completion.choices?.first else {
            throw BackendHTTPExchange.malformed("no choices", body: body, tier: tier)
        }
        guard let text = choice.message?.content ?? choice.message?.refusal else {
            throw BackendHTTPExchange.malformed("the first choice has no message content", body: body, tier: tier)
        }
        let logprobs = (choice.logprobs?.content ?? []).compactMap(\.logprob).filter(\.isFinite)
        return BackendAnswer(
            text: text, model: completion.model ?? tier.model,
            tokensIn: completion.usage?.promptTokens ?? BackendHTTPExchange.estimateTokens(prompt.text),
            tokensOut: completion.usage?.completionTokens ?? BackendHTTPExchange.estimateTokens(text),
            finishReason: choice.finishReason,
            meanLogprob: logprobs.isEmpty ? nil : logprobs.reduce(0, +) / Double(logprobs.count),
            minLogprob: logprobs.min())
    }

    /// The request as JSON: ``EnvelopeCodec``'s encoder (the fast writer, `JSONEncoder` only as its fallback).
    static func body(of request: ChatCompletionRequest) -> [UInt8] {
        EnvelopeCodec().encode(request)
    }

    private static let decoder = JSONDecoder()
}

/// The request body of chat completions (the fields Tierflow sends).
struct ChatCompletionRequest: JSONFastEncodable {
    var model: String
    var messages: [ChatRequest.Message]
    var maxTokens: Int
    var temperature: Double
    var logprobs: Bool

    enum CodingKeys: String, CodingKey {
        case model, messages, maxTokens = "max_tokens", temperature, logprobs
    }

    func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("model", model)
        writer.field("messages", messages)
        writer.field("max_tokens", maxTokens)
        writer.field("temperature", temperature)
        writer.field("logprobs", logprobs)
        writer.endObject()
    }
}

/// The parts of a chat-completions response Tierflow reads; every field optional, checked by the parser.
struct ChatCompletionResponse: Decodable {
    struct Choice: Decodable {
        struct Message: Decodable {
            var content: String?
            var refusal: String?
        }
        struct Logprobs: Decodable {
            struct Token: Decodable {
                var logprob: Double?
            }
            var content: [Token]?
        }
        var message: Message?
        var finishReason: String?
        var logprobs: Logprobs?

        enum CodingKeys: String, CodingKey {
            case message, finishReason = "finish_reason", logprobs
        }
    }
    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        }
    }
    var model: String?
    var choices: [Choice]?
    var usage: Usage?
}

extension Data {
    /// The bytes as an array, for ``HTTPRequest/body``.
    var asBytes: [UInt8] { [UInt8](self) }
}
