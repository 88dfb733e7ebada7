import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

/// Response bodies as OpenAI-compatible servers send them.
enum OpenAIBodies {
    /// A chat completion with token logprobs (mean -0.6, min -2.0) and usage.
    static let withLogprobs = #"""
        {"id": "chatcmpl-AbC123", "object": "chat.completion", "created": 1764000000,
         "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_0ba0d124f1",
         "choices": [{"index": 0,
           "message": {"role": "assistant", "content": "Check the cooling water valve.", "refusal": null},
           "logprobs": {"content": [
             {"token": "Check", "logprob": -0.1, "bytes": [67, 104, 101, 99, 107], "top_logprobs": []},
             {"token": " the", "logprob": -0.3, "bytes": [32, 116, 104, 101], "top_logprobs": []},
             {"token": " cooling water valve", "logprob": -2.0, "bytes": [], "top_logprobs": []},
             {"token": ".", "logprob": 0.0, "bytes": [46], "top_logprobs": []}], "refusal": null},
           "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 42, "completion_tokens": 4, "total_tokens": 46,
                   "prompt_tokens_details": {"cached_tokens": 0}}}
        """#

    /// The least a server may send: no usage, no logprobs.
    static let minimal = #"""
        {"model": "llama-3.1-70b-instruct", "choices": [{"message": {"role": "assistant", "content": "Check the valve."}, "finish_reason": "length"}]}
        """#
}

@Suite("OpenAI backend", .llmTestServer)
struct BackendOpenAITests {
    let server: LLMTestServer

    init() throws {
        server = try #require(LLMTestServer.current)
    }

    var openAI: OpenAIBackend { OpenAIBackend(httpClient: server.client, logger: BackendFixtures.logger) }

    func resilient(_ tier: TierConfig) -> ResilientBackend {
        ResilientBackend(wrapping: openAI, tier: tier, logger: BackendFixtures.logger)
    }

    @Test func parsesAnswerLogprobsAndUsage() async throws {
        try await server.script("oa-parse", [.json(OpenAIBodies.withLogprobs)])
        let answer = try await openAI.complete(BackendFixtures.prompt, tier: BackendFixtures.tier(endpoint: server.endpoint("oa-parse")))
        #expect(answer.text == "Check the cooling water valve.")
        #expect(answer.model == "gpt-4o-mini-2024-07-18")
        #expect(answer.finishReason == "stop")
        #expect(answer.tokensIn == 42)
        #expect(answer.tokensOut == 4)
        let mean = try #require(answer.meanLogprob)
        #expect(abs(mean - -0.6) < 1e-9)
        #expect(answer.minLogprob == -2.0)
        #expect(!answer.simulated)
    }

    @Test func sendsModelMessagesMaxTokensLogprobsAndBearerKey() async throws {
        try await server.script("oa-request", [.json(OpenAIBodies.minimal)])
        _ = try await openAI.complete(BackendFixtures.prompt, tier: BackendFixtures.tier(endpoint: server.endpoint("oa-request")))
        let recorded = try await server.recorded("oa-request")
        let request = try #require(recorded.requests.first)
        #expect(recorded.count == 1)
        #expect(request.method == "POST")
        #expect(request.path == "/s/oa-request/v1/chat/completions")
        #expect(request.headers["authorization"] == "Bearer \(BackendFixtures.apiKey)")
        #expect(request.headers["content-type"] == "application/json")
        let body = try request.json()
        #expect(body["model"] as? String == "test-model")
        #expect(body["max_tokens"] as? Int == 77)
        #expect(body["logprobs"] as? Bool == true)
        #expect(body["temperature"] as? Double == 0)
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages == [
            ["role": "system", "content": "You are a maintenance engineer."],
            ["role": "user", "content": "Pump P-101 reports FLW COND CW HIGH ALM. Cause?"],
        ])
    }

    @Test func withoutKeyNoAuthorizationAndTierMaxTokensAndNoDoubleV1() async throws {
        try await server.script("oa-nokey", [.json(OpenAIBodies.minimal)])
        let tier = BackendFixtures.tier(endpoint: server.endpoint("oa-nokey") + "/v1/", apiKey: "")
        _ = try await openAI.complete(Prompt(messages: [.init(role: "user", content: "hi")]), tier: tier)
        let request = try #require(try await server.recorded("oa-nokey").requests.first)
        #expect(request.path == "/s/oa-nokey/v1/chat/completions")
        #expect(request.headers["authorization"] == nil)
        #expect(try request.json()["max_tokens"] as? Int == 256)
    }

    @Test func missingUsageIsEstimatedAndMissingLogprobsAreNil() async throws {
        try await server.script("oa-minimal", [.json(OpenAIBodies.minimal)])
        let prompt = Prompt(messages: [.init(role: "user", content: String(repeating: "a", count: 40))])
        let answer = try await openAI.complete(prompt, tier: BackendFixtures.tier(endpoint: server.endpoint("oa-minimal")))
        #expect(answer.text == "Check the valve.")
        #expect(answer.model == "llama-3.1-70b-instruct")
        #expect(answer.finishReason == "length")
        #expect(answer.tokensIn == 10)
        #expect(answer.tokensOut == 4)  // 16 characters
        #expect(answer.meanLogprob == nil)
        #expect(answer.minLogprob == nil)
    }

    @Test func rateLimitedWithRetryAfterWaitsThenSucceeds() async throws {
        try await server.script(
            "oa-429", [.error(429, "Rate limit reached", headers: ["Retry-After": "1"]), .json(OpenAIBodies.minimal)])
        let backend = resilient(BackendFixtures.tier(endpoint: server.endpoint("oa-429")))
        let (completion, seconds) = try await BackendFixtures.timed {
            try await backend.completion(BackendFixtures.prompt, tier: BackendFixtures.tier(endpoint: server.endpoint("oa-429")), deadline: nil)
        }
        #expect(completion.attempts == 2)
        #expect(completion.retries == 1)
        #expect(completion.answer.text == "Check the valve.")
        #expect(seconds >= 0.95)
        #expect(seconds < 15)  // no hang; generous under load
        #expect(try await server.recorded("oa-429").count == 2)
    }

    @Test func serverErrorsAreRetriedUntilSuccess() async throws {
        try await server.script("oa-500", [.error(500, "boom"), .error(502, "bad gateway"), .json(OpenAIBodies.withLogprobs)])
        let tier = BackendFixtures.tier(endpoint: server.endpoint("oa-500"))
        let completion = try await resilient(tier).completion(BackendFixtures.prompt, tier: tier, deadline: nil)
        #expect(completion.retries == 2)
        #expect(completion.answer.tokensIn == 42)
        #expect(try await server.recorded("oa-500").count == 3)
    }

    @Test(arguments: [400, 401, 403, 404])
    func clientErrorsAreNotRetriedAndNeverShowTheKey(status: Int) async throws {
        let name = "oa-client-\(status)"
        try await server.script(name, [.error(status, "Incorrect API key provided: \(BackendFixtures.apiKey)")], then: .json(OpenAIBodies.minimal))
        let tier = BackendFixtures.tier(endpoint: server.endpoint(name))
        let error = try await #require(throws: BackendError.self) {
            try await resilient(tier).complete(BackendFixtures.prompt, tier: tier)
        }
        #expect(error.code == .clientError)
        #expect(error.status == status)
        #expect(error.description.contains("Incorrect API key provided: (redacted)"))
        #expect(!error.description.contains(BackendFixtures.apiKey))
        #expect(!"\(error)".contains(BackendFixtures.apiKey))
        #expect(try await server.recorded(name).count == 1)
    }

    @Test func timeoutsAreRetriedThenReported() async throws {
        try await server.script("oa-timeout", [], then: LLMTestServer.Response(body: OpenAIBodies.minimal, delay_ms: 20_000))
        let tier = BackendFixtures.tier(endpoint: server.endpoint("oa-timeout"), timeoutSeconds: 0.3, maxAttempts: 2)
        let (error, seconds) = try await BackendFixtures.timed {
            try await #require(throws: BackendError.self) { try await resilient(tier).complete(BackendFixtures.prompt, tier: tier) }
        }
        #expect(error.code == .timeout)
        #expect(seconds < 15)  // two 0.3 s attempts, far below the server's 20 s
        #expect(try await server.recorded("oa-timeout").count == 2)
    }

    @Test func nonJSONSuccessIsMalformed() async throws {
        try await server.script(
            "oa-garbage",
            [
                LLMTestServer.Response(headers: ["Content-Type": "text/html"], body: "<html>gateway</html>"),
                .json(#"{"id": "chatcmpl-x", "choices": []}"#),
                .json(#"{"choices": [{"message": {"role": "assistant", "content": "trunc"#),
            ])
        let tier = BackendFixtures.tier(endpoint: server.endpoint("oa-garbage"))
        for expected in ["not a chat completion", "no choices", "not a chat completion"] {
            let error = try await #require(throws: BackendError.self) { try await openAI.complete(BackendFixtures.prompt, tier: tier) }
            #expect(error.code == .malformedResponse)
            #expect(error.message.contains(expected))
        }
    }

    @Test func droppedConnectionsAndRefusedPortsAreTransportErrors() async throws {
        // libcurl resends once on a fresh connection when a reused one closes unanswered: drop both.
        try await server.script("oa-close", [], then: LLMTestServer.Response(close: true))
        let closed = try await #require(throws: BackendError.self) {
            try await openAI.complete(BackendFixtures.prompt, tier: BackendFixtures.tier(endpoint: server.endpoint("oa-close")))
        }
        #expect(closed.code == .transport)
        let refused = try await #require(throws: BackendError.self) {
            try await openAI.complete(BackendFixtures.prompt, tier: BackendFixtures.tier(endpoint: "http://127.0.0.1:1"))
        }
        #expect(refused.code == .transport)
    }
}
