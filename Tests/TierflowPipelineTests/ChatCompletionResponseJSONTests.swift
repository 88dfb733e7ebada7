import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

/// The backend's fast reader must read chat completions exactly as `JSONDecoder` does, and leave to it
/// whatever it cannot read strictly.
@Suite("Chat completion bodies, fast path")
struct ChatCompletionResponseJSONTests {
    /// Everything the backend reads from a response, comparable.
    static func summary(_ response: ChatCompletionResponse) -> String {
        let choices = (response.choices ?? []).map { choice in
            let logprobs = choice.logprobs?.content.map { $0.map { $0.logprob.map { "\($0)" } ?? "nil" } }
            return "\(choice.message?.content ?? "nil")|\(choice.message?.refusal ?? "nil")|\(choice.finishReason ?? "nil")|\(logprobs ?? ["none"])"
        }
        return "\(response.model ?? "nil")|\(response.choices == nil)|\(choices)|\(response.usage?.promptTokens ?? -1)|\(response.usage?.completionTokens ?? -1)|\(response.usage == nil)"
    }

    @Test(arguments: [
        OpenAIBodies.withLogprobs, OpenAIBodies.minimal,
        #"{"model": null, "choices": [{"message": {"content": null, "refusal": "I cannot help with that."}, "finish_reason": null, "logprobs": null}], "usage": null}"#,
        #"{"choices": [{"message": null, "logprobs": {"content": null}}, {"message": {"content": "second"}}]}"#,
        #"{"choices": null, "usage": {"prompt_tokens": null, "completion_tokens": 7}}"#,
        #"{"choices": [{"message": {"content": "é \u00e9 \ud83d\ude80"}, "logprobs": {"content": [{"logprob": null}, {"logprob": -1e-3}]}}]}"#,
    ])
    func readsWhatJSONDecoderReads(_ body: String) throws {
        let fast = try #require(ChatCompletionResponse.fastDecoded(from: Array(body.utf8)))
        let foundation = try JSONDecoder().decode(ChatCompletionResponse.self, from: Data(body.utf8))
        #expect(Self.summary(fast) == Self.summary(foundation))
    }

    @Test(arguments: [
        #"{"choices": {"message": {"content": "x"}}}"#,  // choices must be a list
        #"{"choices": [{"message": {"content": 5}}]}"#,  // content must be text
        #"{"usage": {"prompt_tokens": "42"}}"#,  // a count must be a number
        #"{"choices": []} trailing"#,  // not one document
    ])
    func refusesWhatJSONDecoderRefuses(_ body: String) {
        #expect(ChatCompletionResponse.fastDecoded(from: Array(body.utf8)) == nil)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ChatCompletionResponse.self, from: Data(body.utf8)) }
    }

    @Test func requestBodyIsWhatJSONEncoderWrites() throws {
        let request = ChatCompletionRequest(
            model: "qwen2.5-0.5b", messages: [.init(role: "system", content: "Be \"brief\"."), .init(role: "user", content: "Why/how?\n")],
            maxTokens: 256, temperature: 0, logprobs: true)
        let fast = try JSONSerialization.jsonObject(with: Data(OpenAIBackend.body(of: request))) as? NSDictionary
        let foundation = try JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as? NSDictionary
        #expect(fast != nil && fast == foundation)
    }
}
