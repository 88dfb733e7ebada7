import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TierflowCore
import TierflowHTTP
import TierflowPipeline

@testable import TierflowGateway

/// Answers every query at once with a fixed result, recording what it was sent.
final class InstantDispatcher: QueryDispatcher {
    let sent = Mutex<[QueryEnvelope]>([])
    let timesOut: Bool

    init(timesOut: Bool = false) { self.timesOut = timesOut }

    func answer(_ envelope: QueryEnvelope, timeout: Duration) async throws -> ResultMessage {
        sent.withLock { $0.append(envelope) }
        if timesOut { throw GatewayError.timeout(seconds: 1) }
        return sampleResult(id: envelope.id)
    }

    func publish(_ envelope: QueryEnvelope) async throws {
        sent.withLock { $0.append(envelope) }
    }
}

/// Keeps feedback in memory; knows one query.
final class MemoryStore: GatewayStore {
    let feedback = Mutex<[Feedback]>([])
    func loadKeys() async throws -> [APIKeyRecord] { [] }
    func loadSpend(day: String) async throws -> [String: Double] { [:] }
    func addSpend(_ deltas: [SpendLedger.Delta]) async throws {}
    func storeFeedback(_ feedback: Feedback) async throws -> FeedbackReceipt {
        guard feedback.queryId == "chat-known" else {
            throw GatewayError(status: .notFound, type: "invalid_request_error", code: "query_not_found", message: "no such query")
        }
        let count = self.feedback.withLock { $0.append(feedback); return $0.count }
        return FeedbackReceipt(id: count, knowledgeKey: feedback.promote ? "feedback:\(feedback.queryId)" : nil)
    }
}

/// The HTTP server on a free loopback port with a fake pipeline, and a libcurl client.
struct ServerFixture {
    let key: String
    let limitedKey: String
    let dispatcher: InstantDispatcher
    let store = MemoryStore()
    let client: HTTPClient

    static let logger = Logger(label: "tierflow.gateway.test")

    init(timesOut: Bool = false) {
        dispatcher = InstantDispatcher(timesOut: timesOut)
        client = HTTPClient(logger: Self.logger)
        key = "tf-" + String(repeating: "1", count: 48)
        limitedKey = "tf-" + String(repeating: "2", count: 48)
    }

    /// Runs `body` with the server's base URL.
    func run(_ body: (String) async throws -> Void) async throws {
        var config = try PipelineConfig.parse(yaml: """
            broker: {url: "amqp://u:p@127.0.0.1:5672/v"}
            database: {url: "postgresql://u:p@127.0.0.1/d"}
            gateway: {max_body_bytes: 2048, stream_chunk_characters: 8}
            tiers:
              - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}}
              - {name: gpu, backend: simulated, model: big, price: {input: 1, output: 2}}
            """)
        config.gateway.port = 0
        let keys = APIKeyRegistry(config: config.gateway)
        keys.replace(with: [
            APIKeyRecord(id: "key_main", name: "main", keyHash: SHA256.hex(key), prefix: "tf-111111"),
            APIKeyRecord(id: "key_limited", name: "limited", keyHash: SHA256.hex(limitedKey), prefix: "tf-222222", rateLimitPerMinute: 1),
        ])
        let handlers = GatewayHandlers(
            config: config, dispatcher: dispatcher, keys: keys, ledger: SpendLedger(), store: store,
            advisor: RouteAdvisor(config: config, scorer: TransparentScorer()), logger: Self.logger)
        let port = Mutex<Int?>(nil)
        let app = GatewayServer.application(handlers: handlers, host: "127.0.0.1", port: 0, logger: Self.logger) { bound in
            port.withLock { $0 = bound }
        }
        let group = ServiceGroup(services: [app], logger: Self.logger)
        let running = Task { try await group.run() }
        var bound: Int?
        for _ in 0..<200 where bound == nil {
            try await Task.sleep(for: .milliseconds(10))
            bound = port.withLock { $0 }
        }
        let url = "http://127.0.0.1:\(try #require(bound))"
        do {
            try await body(url)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
        await client.shutdown()
    }

    func post(_ url: String, _ body: String, key: String? = nil) async throws -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        return try await client.execute(HTTPRequest(method: .post, url: url, headers: headers, body: body))
    }

    func get(_ url: String, key: String? = nil) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        return try await client.execute(HTTPRequest(method: .get, url: url, headers: headers))
    }

    /// The `error` object of an OpenAI-style error body.
    static func error(_ response: HTTPResponse) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? [String: Any]
    }
}

@Suite("Gateway HTTP endpoints", .serialized)
struct HTTPEndpointTests {
    let chat = #"{"model": "tierflow-quality", "messages": [{"role": "user", "content": "Why does the pump trip?"}]}"#

    @Test func chatCompletionWithHeadersAndPolicy() async throws {
        let fixture = ServerFixture()
        try await fixture.run { url in
            let response = try await fixture.post("\(url)/v1/chat/completions", chat, key: fixture.key)
            #expect(response.status == 200)
            #expect(response.header("x-tierflow-layer") == "2" && response.header("x-tierflow-tier") == "gpu")
            #expect(response.header("x-tierflow-escalations") == "1" && response.header("x-tierflow-cost-usd") == "0.00200000")
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            #expect(object?["model"] as? String == "simulated/big")
            #expect((object?["tierflow"] as? [String: Any])?["simulated"] as? Bool == true)
            let sent = try #require(fixture.dispatcher.sent.withLock { $0.first })
            #expect(sent.id.hasPrefix("chat-") && sent.source == .chat && sent.qualityTarget == 0.9)
            #expect(sent.payload.text == "Why does the pump trip?" && sent.deadline != nil)
        }
    }

    @Test func streamingSendsChunksThenDone() async throws {
        let fixture = ServerFixture()
        try await fixture.run { url in
            let body = chat.replacingOccurrences(of: "{\"model\"", with: "{\"stream\": true, \"model\"")
            let response = try await fixture.post("\(url)/v1/chat/completions", body, key: fixture.key)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream")
            let events = response.bodyString.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.allSatisfy { $0.hasPrefix("data: ") })
            #expect(events.last == "data: [DONE]")
            let text = try events.dropLast().compactMap { event -> String? in
                let object = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any]
                let delta = ((object?["choices"] as? [[String: Any]])?.first?["delta"]) as? [String: Any]
                return delta?["content"] as? String
            }.joined()
            #expect(text == sampleResult().answer)
        }
    }

    @Test func errorsInOpenAIShape() async throws {
        let fixture = ServerFixture()
        try await fixture.run { url in
            let missing = try await fixture.post("\(url)/v1/chat/completions", chat)
            #expect(missing.status == 401 && ServerFixture.error(missing)?["code"] as? String == "invalid_api_key")
            let wrong = try await fixture.post("\(url)/v1/chat/completions", chat, key: fixture.key + "0")
            #expect(wrong.status == 401)
            let malformed = try await fixture.post("\(url)/v1/chat/completions", "{\"messages\": [", key: fixture.key)
            #expect(malformed.status == 400 && ServerFixture.error(malformed)?["code"] as? String == "invalid_json")
            let wrongType = try await fixture.post("\(url)/v1/chat/completions", #"{"messages": 3}"#, key: fixture.key)
            #expect(wrongType.status == 400 && ServerFixture.error(wrongType)?["param"] as? String == "messages")
            let empty = try await fixture.post("\(url)/v1/chat/completions", #"{"messages": []}"#, key: fixture.key)
            #expect(empty.status == 400)
            let model = try await fixture.post("\(url)/v1/chat/completions", chat.replacingOccurrences(of: "tierflow-quality", with: "gpt-4"), key: fixture.key)
            #expect(model.status == 404 && ServerFixture.error(model)?["code"] as? String == "model_not_found")
            let large = try await fixture.post("\(url)/v1/chat/completions", String(repeating: " ", count: 4096) + chat, key: fixture.key)
            #expect(large.status == 413 && ServerFixture.error(large)?["code"] as? String == "request_too_large")
            let unknown = try await fixture.get("\(url)/v1/unknown", key: fixture.key)
            #expect(unknown.status == 404 && ServerFixture.error(unknown)?["type"] as? String == "invalid_request_error")
            #expect(fixture.dispatcher.sent.withLock { $0.isEmpty }, "nothing refused reached the pipeline")
        }
    }

    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        let fixture = ServerFixture()
        try await fixture.run { url in
            #expect(try await fixture.get("\(url)/v1/models", key: fixture.limitedKey).status == 200)
            let limited = try await fixture.get("\(url)/v1/models", key: fixture.limitedKey)
            #expect(limited.status == 429)
            #expect(Int(limited.header("retry-after") ?? "") ?? 0 >= 1)
            #expect(ServerFixture.error(limited)?["code"] as? String == "rate_limit_exceeded")
            #expect(try await fixture.get("\(url)/v1/models", key: fixture.key).status == 200, "other keys are unaffected")
        }
    }

    @Test func malformedIdempotencyKeyIs400BeforeAnythingIsPublished() async throws {
        let fixture = ServerFixture()
        try await fixture.run { url in
            for bad in ["two words", String(repeating: "x", count: 256)] {
                var headers = HTTPHeaders([("Content-Type", "application/json"), ("Authorization", "Bearer \(fixture.key)")])
                headers.add(name: "Idempotency-Key", value: bad)
                let response = try await fixture.client.execute(
                    HTTPRequest(method: .post, url: "\(url)/v1/chat/completions", headers: headers, body: chat))
                #expect(response.status == 400)
                #expect(ServerFixture.error(response)?["code"] as? String == "invalid_idempotency_key")
                #expect(ServerFixture.error(response)?["param"] as? String == "Idempotency-Key")
            }
            #expect(fixture.dispatcher.sent.withLock { $0.isEmpty }, "nothing was published")
        }
    }

    @Test func timeoutAnswers504() async throws {
        let fixture = ServerFixture(timesOut: true)
        try await fixture.run { url in
            let response = try await fixture.post("\(url)/v1/chat/completions", chat, key: fixture.key)
            #expect(response.status == 504 && ServerFixture.error(response)?["code"] as? String == "timeout")
        }
    }

    @Test func routeOnlyAndFeedback() async throws {
        let fixture = ServerFixture()
        try await fixture.run { url in
            let route = try await fixture.post("\(url)/v1/route", chat, key: fixture.key)
            #expect(route.status == 200)
            let decision = try EnvelopeCodec().decode(RouteDecision.self, from: route.body)
            #expect(decision.estimates.keys.sorted() == ["edge", "gpu"] && decision.qualityTarget == 0.9)
            #expect(fixture.dispatcher.sent.withLock { $0.isEmpty }, "routing publishes nothing")

            let feedback = #"{"query_id": "chat-known", "rating": 1, "corrected_answer": "Check NPSH.", "promote": true}"#
            let stored = try await fixture.post("\(url)/v1/feedback", feedback, key: fixture.key)
            #expect(stored.status == 200 && stored.bodyString.contains("\"kb_key\":\"feedback:chat-known\""))
            #expect(fixture.store.feedback.withLock { $0.first?.keyId } == "key_main")
            let unknown = try await fixture.post("\(url)/v1/feedback", #"{"query_id": "chat-x", "rating": 1}"#, key: fixture.key)
            #expect(unknown.status == 404)
            let promoteWithout = try await fixture.post("\(url)/v1/feedback", #"{"query_id": "chat-known", "rating": 1, "promote": true}"#, key: fixture.key)
            #expect(promoteWithout.status == 400)
        }
    }
}
