import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

/// A Messages API response with several content blocks.
private let messagesBody = #"""
    {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-opus-4-1-20250805",
     "content": [
       {"type": "text", "text": "The cooling water flow sensor reads high. "},
       {"type": "tool_use", "id": "toolu_01", "name": "lookup", "input": {"tag": "FIR123"}},
       {"type": "text", "text": "Inspect the control valve first."}],
     "stop_reason": "max_tokens", "stop_sequence": null,
     "usage": {"input_tokens": 31, "output_tokens": 17, "cache_read_input_tokens": 0}}
    """#

@Suite("Anthropic backend", .llmTestServer)
struct BackendAnthropicTests {
    let server: LLMTestServer

    init() throws {
        server = try #require(LLMTestServer.current)
    }

    var anthropic: AnthropicBackend { AnthropicBackend(httpClient: server.client, logger: BackendFixtures.logger) }

    @Test func parsesTextBlocksStopReasonModelAndUsage() async throws {
        try await server.script("an-parse", [.json(messagesBody)])
        let tier = BackendFixtures.tier(.anthropic, endpoint: server.endpoint("an-parse"))
        let answer = try await anthropic.complete(BackendFixtures.prompt, tier: tier)
        #expect(answer.text == "The cooling water flow sensor reads high. Inspect the control valve first.")
        #expect(answer.finishReason == "max_tokens")
        #expect(answer.model == "claude-opus-4-1-20250805")
        #expect(answer.tokensIn == 31)
        #expect(answer.tokensOut == 17)
        #expect(answer.meanLogprob == nil)
        #expect(answer.minLogprob == nil)
    }

    @Test func sendsSystemApartWithAlternatingRolesAndTheAPIHeaders() async throws {
        try await server.script("an-request", [.json(messagesBody)])
        let prompt = Prompt(
            messages: [
                .init(role: "system", content: "You are terse."),
                .init(role: "user", content: "Alarm FIR123 high."),
                .init(role: "user", content: "Cause?"),
                .init(role: "assistant", content: "Sensor."),
                .init(role: "system", content: "Answer in English."),
                .init(role: "user", content: PromptBuilder.confidenceInstruction),
            ], maxTokens: nil)
        let tier = BackendFixtures.tier(.anthropic, endpoint: server.endpoint("an-request"))
        _ = try await anthropic.complete(prompt, tier: tier)
        let request = try #require(try await server.recorded("an-request").requests.first)
        #expect(request.path == "/s/an-request/v1/messages")
        #expect(request.headers["x-api-key"] == BackendFixtures.apiKey)
        #expect(request.headers["anthropic-version"] == "2023-06-01")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["authorization"] == nil)
        let body = try request.json()
        #expect(body["model"] as? String == "test-model")
        #expect(body["max_tokens"] as? Int == 256)
        #expect(body["system"] as? String == "You are terse.\n\nAnswer in English.")
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages == [
            ["role": "user", "content": "Alarm FIR123 high.\n\nCause?"],
            ["role": "assistant", "content": "Sensor."],
            ["role": "user", "content": PromptBuilder.confidenceInstruction],
        ])
    }

    @Test func aSystemOnlyPromptBecomesTheQuestionAndEmptyMessagesAreDropped() {
        let tier = BackendFixtures.tier(.anthropic, endpoint: "http://127.0.0.1:1")
        let systemOnly = AnthropicBackend.request(for: Prompt(messages: [.init(role: "system", content: "Diagnose.")]), tier: tier)
        #expect(systemOnly.system == nil)
        #expect(systemOnly.messages == [MessagesRequest.Message(role: "user", content: "Diagnose.")])
        let withEmpty = AnthropicBackend.request(
            for: Prompt(messages: [.init(role: "user", content: "a"), .init(role: "assistant", content: ""), .init(role: "user", content: "b")]),
            tier: tier)
        #expect(withEmpty.messages == [MessagesRequest.Message(role: "user", content: "a\n\nb")])
    }

    @Test func overloadedIsRetried() async throws {
        let overloaded = LLMTestServer.Response(
            status: 529, body: #"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#)
        try await server.script("an-529", [overloaded, .json(messagesBody)])
        let tier = BackendFixtures.tier(.anthropic, endpoint: server.endpoint("an-529"))
        let backend = ResilientBackend(wrapping: anthropic, tier: tier, logger: BackendFixtures.logger)
        let completion = try await backend.completion(BackendFixtures.prompt, tier: tier, deadline: nil)
        #expect(completion.retries == 1)
        #expect(completion.answer.tokensOut == 17)
        #expect(try await server.recorded("an-529").count == 2)
    }

    @Test func errorsCarryTheServerMessageAndMalformedBodiesAreRejected() async throws {
        try await server.script(
            "an-errors",
            [
                LLMTestServer.Response(
                    status: 400, body: #"{"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}"#),
                .json(#"{"type": "message", "model": "m"}"#),
            ])
        let tier = BackendFixtures.tier(.anthropic, endpoint: server.endpoint("an-errors"))
        let invalid = try await #require(throws: BackendError.self) { try await anthropic.complete(BackendFixtures.prompt, tier: tier) }
        #expect(invalid.code == .clientError)
        #expect(invalid.message == "max_tokens: too large")
        let malformed = try await #require(throws: BackendError.self) { try await anthropic.complete(BackendFixtures.prompt, tier: tier) }
        #expect(malformed.code == .malformedResponse)
    }
}
