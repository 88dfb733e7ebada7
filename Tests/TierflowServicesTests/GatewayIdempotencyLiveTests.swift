import Foundation
import Testing
import TierflowCore
import TierflowGateway
import TierflowHTTP
import TierflowPostgres

/// `Idempotency-Key` on two gateways sharing one broker and database, in front of an in-process pipeline
/// whose only tier answers after 1.5 s (so a repeat can arrive while the first request is in flight).
@Suite("Gateway idempotency keys across two gateways (live)", .serialized, .enabled(if: liveServices))
struct GatewayIdempotencyLiveTests {
    static let tiers = """
          - {name: edge, backend: simulated, model: small, price: {input: 0.1, output: 0.2}, confidence_threshold: 0.0, simulated: {skill: 1, latency_ms: 1500}}
        """

    static func chat(_ question: String, stream: Bool = false) -> String {
        #"{"model": "tierflow", "stream": \#(stream), "messages": [{"role": "user", "content": "\#(question)"}]}"#
    }

    static func post(_ client: HTTPClient, _ url: String, _ body: String, apiKey: String, idempotencyKey: String?) async throws -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Authorization", "Bearer \(apiKey)")])
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        return try await client.execute(HTTPRequest(method: .post, url: "\(url)/v1/chat/completions", headers: headers, body: body))
    }

    static func json(_ response: HTTPResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    @Test func repeatsReplayOrWaitAcrossGatewaysAndNeverPublishTwice() async throws {
        let pipeline = try await PipelineHarness.start(
            tiers: Self.tiers, extra: "gateway: {request_timeout_seconds: 20, key_refresh_seconds: 60}")
        let owner = PostgresGatewayStore(connection: pipeline.database)
        let api = APIKeyRecord.generate(name: "gateway-test-idempotency", rateLimitPerMinute: 10_000)
        try await owner.insertKey(api.record)
        let a = try await RunningGateway.start(config: pipeline.config)
        let b = try await RunningGateway.start(config: pipeline.config)
        let client = HTTPClient(logger: PipelineHarness.logger)
        let tag = UUID().uuidString.prefix(8)
        let question = "Why would pump P-\(tag) cavitate after the suction valve was changed?"
        let key = "order-\(UUID().uuidString)"
        let queryId = try IdempotencyKey(key).queryId(keyId: api.record.id, generation: 1)

        // 1. The same request on both gateways, the second while the first is in flight.
        async let first = Self.post(client, a.url, Self.chat(question), apiKey: api.key, idempotencyKey: key)
        try await Task.sleep(for: .milliseconds(400))
        let second = try await Self.post(client, b.url, Self.chat(question), apiKey: api.key, idempotencyKey: key)
        let original = try await first
        #expect(original.status == 200, "\(original.bodyString)")
        #expect(second.status == 200, "\(second.bodyString)")
        #expect(Self.json(original)["id"] as? String == queryId, "the query id is derived from the key")
        #expect(second.body == original.body, "the repeat answers with the same completion, byte for byte")
        #expect(original.headers["idempotent-replayed"] == nil)
        #expect(second.headers["idempotent-replayed"] == "true")
        #expect(second.totalTime > .milliseconds(500), "the repeat waited for the first request's result")
        #expect(try await pipeline.count("SELECT count(*)::int AS n FROM queries WHERE id = $1", queryId) == 1)
        #expect(
            try await pipeline.count("SELECT count(*)::int AS n FROM hops WHERE query_id = $1 AND stage = 'tier'", queryId) == 1,
            "one model call")
        #expect(
            try await pipeline.count("SELECT count(*)::int AS n FROM hops WHERE query_id = $1 AND stage = 'ingest'", queryId) == 1,
            "published once")

        // 2. After the answer: a replay on either gateway, whole or streamed.
        let later = try await Self.post(client, b.url, Self.chat(question), apiKey: api.key, idempotencyKey: key)
        #expect(later.status == 200 && later.body == original.body && later.headers["idempotent-replayed"] == "true")
        let streamed = try await Self.post(client, a.url, Self.chat(question, stream: true), apiKey: api.key, idempotencyKey: key)
        #expect(streamed.status == 200 && streamed.headers["idempotent-replayed"] == "true")
        #expect(streamed.bodyString.contains("chat.completion.chunk") && streamed.bodyString.hasSuffix("data: [DONE]\n\n"))
        #expect(streamed.headers["x-tierflow-query-id"] == queryId)

        // 3. The same key with a different request: 422, nothing published.
        let other = try await Self.post(client, a.url, Self.chat(question + " Really?"), apiKey: api.key, idempotencyKey: key)
        #expect(other.status == 422, "\(other.bodyString)")
        let error = Self.json(other)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "idempotency_key_reused" && error?["type"] as? String == "invalid_request_error")
        // The same key from another API key is another key.
        let api2 = APIKeyRecord.generate(name: "gateway-test-idempotency-2", rateLimitPerMinute: 10_000)
        try await owner.insertKey(api2.record)
        try await a.gateway.maintenance.refresh()
        let foreign = try await Self.post(client, a.url, Self.chat(question + " Really?"), apiKey: api2.key, idempotencyKey: key)
        #expect(foreign.status == 200, "\(foreign.bodyString)")
        #expect(Self.json(foreign)["id"] as? String == (try IdempotencyKey(key).queryId(keyId: api2.record.id, generation: 1)))

        // 4. Past its retention window the key starts afresh: a new query under a new id.
        _ = try await pipeline.database.execute(
            "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key_id = $1 AND idempotency_key = $2",
            [.string(api.record.id), .string(key)])
        let renewed = try await Self.post(client, b.url, Self.chat(question + " Really?"), apiKey: api.key, idempotencyKey: key)
        #expect(renewed.status == 200, "\(renewed.bodyString)")
        #expect(Self.json(renewed)["id"] as? String == (try IdempotencyKey(key).queryId(keyId: api.record.id, generation: 2)))

        // 5. Malformed keys: 400.
        let long = try await Self.post(client, a.url, Self.chat(question), apiKey: api.key, idempotencyKey: String(repeating: "k", count: 256))
        #expect(long.status == 400 && (Self.json(long)["error"] as? [String: Any])?["code"] as? String == "invalid_idempotency_key")

        await client.shutdown()
        await a.stop()
        await b.stop()
        for record in [api.record, api2.record] {
            _ = try? await pipeline.database.execute("DELETE FROM idempotency_keys WHERE key_id = $1", [.string(record.id)])
            _ = try? await pipeline.database.execute("DELETE FROM rate_limit_buckets WHERE key_id = $1", [.string(record.id)])
            _ = try? await pipeline.database.execute("DELETE FROM api_keys WHERE id = $1", [.string(record.id)])
        }
        await pipeline.stop()
    }

    @Test func aRequestTakesOverAKeyWhoseOwnerVanished() async throws {
        let pipeline = try await PipelineHarness.start(
            tiers: Self.tiers, extra: "gateway: {request_timeout_seconds: 20, key_refresh_seconds: 60}")
        let owner = PostgresGatewayStore(connection: pipeline.database)
        let api = APIKeyRecord.generate(name: "gateway-test-takeover", rateLimitPerMinute: 10_000)
        try await owner.insertKey(api.record)
        let b = try await RunningGateway.start(config: pipeline.config)
        let client = HTTPClient(logger: PipelineHarness.logger)
        let question = "Why does compressor K-\(UUID().uuidString.prefix(8)) surge at low load?"
        let key = "takeover-\(UUID().uuidString)"
        let queryId = try IdempotencyKey(key).queryId(keyId: api.record.id, generation: 1)
        // A gateway claimed the key and died before publishing: its lease has run out, nothing was answered.
        let fingerprint = IdempotencyKey.fingerprint(of: ChatRequest(messages: [.init(role: "user", content: question)], model: "tierflow"))
        _ = try await pipeline.database.execute(
            """
            INSERT INTO idempotency_keys (key_id, idempotency_key, fingerprint, query_id, expires_at, lease_until)
            VALUES ($1, $2, $3, $4, now() + interval '1 hour', now() - interval '1 second')
            """,
            [.string(api.record.id), .string(key), .string(fingerprint), .string(queryId)])

        let response = try await Self.post(client, b.url, Self.chat(question), apiKey: api.key, idempotencyKey: key)
        #expect(response.status == 200, "\(response.bodyString)")
        #expect(Self.json(response)["id"] as? String == queryId, "the taken-over key keeps its query id")
        let stored = try await pipeline.database.query(
            "SELECT response FROM idempotency_keys WHERE key_id = $1 AND idempotency_key = $2", [.string(api.record.id), .string(key)])
        #expect(try stored.first?.string("response").map { Array($0.utf8) } == response.body, "the answer is stored for replays")
        #expect(try await pipeline.count("SELECT count(*)::int AS n FROM hops WHERE query_id = $1 AND stage = 'tier'", queryId) == 1)

        await client.shutdown()
        await b.stop()
        _ = try? await pipeline.database.execute("DELETE FROM idempotency_keys WHERE key_id = $1", [.string(api.record.id)])
        _ = try? await pipeline.database.execute("DELETE FROM rate_limit_buckets WHERE key_id = $1", [.string(api.record.id)])
        _ = try? await pipeline.database.execute("DELETE FROM api_keys WHERE id = $1", [.string(api.record.id)])
        await pipeline.stop()
    }
}
