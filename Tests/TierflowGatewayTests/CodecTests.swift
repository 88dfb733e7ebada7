import Foundation
import Testing
import TierflowCore
import TierflowPipeline

@testable import TierflowGateway

/// A result as the evaluator would publish it.
func sampleResult(
    id: String = "chat-1", layer: Int = 2, answer: String = "Replace the seal, then check the alignment of the pump shaft.",
    simulated: Bool = true
) -> ResultMessage {
    let history = [
        TierAttempt(tier: "edge", model: "small", answer: "maybe", confidence: 0.3, decision: "escalated", costUSD: 0, tokensIn: 10, tokensOut: 5, simulated: simulated),
        TierAttempt(tier: "gpu", model: simulated ? "simulated/big" : "big", answer: answer, confidence: 0.9, decision: "accepted", costUSD: 0.002, tokensIn: 12, tokensOut: 40, finishReason: "stop", simulated: simulated),
    ]
    return ResultMessage(
        queryId: id, source: .chat, layer: layer, tier: layer == 0 ? nil : "gpu", model: layer == 0 ? nil : history[1].model,
        answer: answer, confidence: 0.9, lowConfidence: false, endedBy: layer == 0 ? "layer0" : "accepted", escalations: 1,
        costUSD: 0.002, latencyMilliseconds: 12, simulated: simulated, site: nil, asset: nil, linkedEvents: nil,
        history: layer == 0 ? [] : history)
}

@Suite("OpenAI codecs")
struct CodecTests {
    let codec = EnvelopeCodec()

    @Test func requestContentAsTextPartsOrNull() throws {
        let body = """
            {"model": "tierflow", "stream": true, "max_tokens": 99, "messages": [
              {"role": "system", "content": "Be brief."},
              {"role": "assistant", "content": null},
              {"role": "user", "content": [{"type": "text", "text": "Why"}, {"type": "text", "text": "does it trip?"}]}],
             "stream_options": {"include_usage": true}, "unknown": 1}
            """
        let request = try codec.decode(OpenAIChatRequest.self, from: Array(body.utf8))
        #expect(request.messages.map(\.content) == ["Be brief.", "", "Why\ndoes it trip?"])
        #expect(request.stream == true && request.streamOptions?.includeUsage == true)
        let chat = request.chatRequest(model: "tierflow")
        #expect(chat.maxTokens == 99 && chat.question == "Why\ndoes it trip?" && chat.model == "tierflow")
    }

    @Test func imagePartsAreRefusedWithTheField() {
        let body = #"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#
        #expect(throws: MessageRejection.self) { try codec.decode(OpenAIChatRequest.self, from: Array(body.utf8)) }
    }

    @Test func routingPolicies() {
        let config = GatewayConfig()
        #expect(RoutingPolicy.parse(nil, config: config) == RoutingPolicy(name: "tierflow", qualityTarget: nil))
        #expect(RoutingPolicy.parse("tierflow", config: config)?.qualityTarget == nil)
        #expect(RoutingPolicy.parse("tierflow-quality", config: config)?.qualityTarget == 0.9)
        #expect(RoutingPolicy.parse("router-mf-0.25", config: config)?.qualityTarget == 0.75)
        #expect(RoutingPolicy.parse("router-causal_llm-1", config: config)?.qualityTarget == 0)
        #expect(RoutingPolicy.parse("router-mf-1.5", config: config) == nil)
        #expect(RoutingPolicy.parse("router--0.5", config: config) == nil)
        #expect(RoutingPolicy.parse("gpt-4o", config: config) == nil)
        #expect(RoutingPolicy.listed(scorerName: "transparent", defaultTarget: 0.75).last == "router-transparent-0.25")
        for listed in RoutingPolicy.listed(scorerName: "learned-file:mmlu v3", defaultTarget: 0.6) {
            #expect(RoutingPolicy.parse(listed, config: config) != nil, "\(listed) is a policy the gateway accepts")
        }
    }

    @Test func completionNamesTheModelThatAnsweredAndSumsUsage() {
        let completion = OpenAIChatCompletion(result: sampleResult(), policy: RoutingPolicy(name: "tierflow", qualityTarget: nil))
        #expect(completion.id == "chat-1" && completion.object == "chat.completion")
        #expect(completion.model == "simulated/big")
        #expect(completion.tierflow.simulated && completion.tierflow.layer == 2 && completion.tierflow.escalations == 1)
        #expect(completion.usage.promptTokens == 22 && completion.usage.completionTokens == 45 && completion.usage.totalTokens == 67)
        #expect(completion.choices.first?.finishReason == "stop")
        let real = OpenAIChatCompletion(result: sampleResult(simulated: false), policy: .init(name: "tierflow", qualityTarget: nil))
        #expect(real.model == "big" && !real.tierflow.simulated)
        let layer0 = OpenAIChatCompletion(result: sampleResult(layer: 0, simulated: false), policy: .init(name: "tierflow", qualityTarget: nil))
        #expect(layer0.model == "tierflow/knowledge-base" && layer0.usage.totalTokens == 0)
    }

    @Test func streamedChunksReassembleTheAnswer() throws {
        let completion = OpenAIChatCompletion(result: sampleResult(), policy: .init(name: "tierflow", qualityTarget: nil))
        let chunks = OpenAIChatChunk.chunks(of: completion, pieceLength: 10, includeUsage: true)
        #expect(chunks.first?.choices.first?.delta.role == "assistant")
        let text = chunks.compactMap { $0.choices.first?.delta.content }.joined()
        #expect(text == completion.choices[0].message.content)
        #expect(chunks.count > 4)
        let finish = chunks[chunks.count - 2]
        #expect(finish.choices.first?.finishReason == "stop" && finish.tierflow != nil)
        #expect(chunks.last?.choices.isEmpty == true && chunks.last?.usage?.totalTokens == 67)
        let json = String(decoding: codec.encode(chunks[1]), as: UTF8.self)
        #expect(json.contains("\"finish_reason\":null"), "finish_reason is null, not absent, until the end")
    }

    @Test(arguments: ["", "a", "one two three four five", String(repeating: "x", count: 95), "ünïcödé wörds everywhere ✓"])
    func piecesCoverTheText(text: String) {
        let pieces = OpenAIChatChunk.pieces(of: text, length: 7)
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= 7 })
    }

    @Test func errorBodyHasOpenAIShape() throws {
        let body = String(decoding: codec.encode(OpenAIErrorBody(.rateLimited(retryAfter: 3, perMinute: 10))), as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: Any]]
        let error = try #require(object?["error"])
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
        #expect(error["code"] as? String == "rate_limit_exceeded" && error["param"] is NSNull)
    }

    @Test func gatewayConfigSection() throws {
        let yaml = """
            broker: {url: "amqp://u:p@127.0.0.1:5672/v"}
            database: {url: "postgresql://u:p@127.0.0.1/d"}
            gateway: {port: 9090, require_api_key: false, rate_limit_per_minute: 5, max_body_bytes: 4096}
            tiers:
              - {name: edge, backend: simulated, model: m, price: {input: 0, output: 0}}
            """
        let config = try PipelineConfig.parse(yaml: yaml)
        #expect(config.gateway.port == 9090 && !config.gateway.requireAPIKey && config.gateway.rateLimitPerMinute == 5)
        #expect(config.gateway.host == "127.0.0.1" && config.gateway.maxBodyBytes == 4096)
        let bad = yaml.replacingOccurrences(of: "port: 9090", with: "prot: 9090")
        #expect(throws: ConfigError.self) { try PipelineConfig.parse(yaml: bad) }
    }
}

@Suite("Pending replies")
struct PendingRepliesTests {
    @Test func resultBeforeAndAfterTheWaiter() async throws {
        let pending = PendingReplies()
        pending.expect("early", deadline: .now + .seconds(30))
        #expect(pending.deliver(sampleResult(id: "early"), for: "early"))
        #expect(try await pending.wait("early").queryId == "early")

        pending.expect("late", deadline: .now + .seconds(30))
        async let waited = pending.wait("late")
        while !pending.deliver(sampleResult(id: "late"), for: "late") { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try await waited.queryId == "late")
        #expect(pending.count == 0)
        #expect(!pending.deliver(sampleResult(id: "late"), for: "late"), "a repeated result finds nobody")
    }

    @Test func expiredWaitersTimeOut() async throws {
        let pending = PendingReplies()
        pending.expect("slow", deadline: .now + .milliseconds(1))
        let waiter = Task { try await pending.wait("slow") }
        try await Task.sleep(for: .milliseconds(20))
        pending.expire(now: .now)
        await #expect(throws: PendingReplies.Failure.self) { try await waiter.value }
        #expect(pending.count == 0)
    }
}
