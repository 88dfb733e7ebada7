import Foundation
import Testing
import TierflowCore
import TierflowGateway
import TierflowHTTP
import TierflowPostgres

/// `gateway.rate_limit.shared`: one key's token bucket in PostgreSQL, shared by two gateways.
@Suite("Gateway rate limits shared between gateways (live)", .serialized, .enabled(if: liveServices))
struct GatewaySharedRateLimitLiveTests {
    static let tiers = """
          - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}}
        """

    /// Sends `count` `GET /v1/models` alternately to `urls`; returns (accepted, refused, every 429 had Retry-After, seconds).
    static func hammer(_ urls: [String], key: String, count: Int) async throws -> (accepted: Int, refused: Int, retryAfter: Bool, seconds: Double) {
        let client = HTTPClient(logger: PipelineHarness.logger)
        let start = ContinuousClock.now
        var accepted = 0
        var refused = 0
        var retryAfter = true
        for index in 0..<count {
            var headers = HTTPHeaders()
            headers.add(name: "Authorization", value: "Bearer \(key)")
            let response = try await client.execute(HTTPRequest(method: .get, url: "\(urls[index % urls.count])/v1/models", headers: headers))
            switch response.status {
            case 200: accepted += 1
            case 429:
                refused += 1
                retryAfter = retryAfter && (Int(response.header("retry-after") ?? "") ?? 0) >= 1
            default: Issue.record("unexpected status \(response.status): \(response.bodyString)")
            }
        }
        let elapsed = start.duration(to: .now)
        await client.shutdown()
        return (accepted, refused, retryAfter, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    @Test func twoGatewaysShareOneKeysLimitAndPerProcessBucketsDoNot() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.tiers, stages: [])
        let owner = PostgresGatewayStore(connection: pipeline.database)
        let perMinute = 20
        let shared = APIKeyRecord.generate(name: "gateway-test-shared-limit", rateLimitPerMinute: perMinute)
        let local = APIKeyRecord.generate(name: "gateway-test-local-limit", rateLimitPerMinute: perMinute)
        for key in [shared, local] { try await owner.insertKey(key.record) }

        #expect(pipeline.config.gateway.rateLimitShared, "shared buckets are the default")
        let a = try await RunningGateway.start(config: pipeline.config)
        let b = try await RunningGateway.start(config: pipeline.config)
        let together = try await Self.hammer([a.url, b.url], key: shared.key, count: 3 * perMinute)
        // 20 a minute refill one token every 3 s: the run may earn a few more.
        let refill = Int(together.seconds / 3) + 1
        #expect(together.accepted >= perMinute, "the bucket's capacity is admitted: \(together)")
        #expect(together.accepted <= perMinute + refill, "two gateways admit one key's limit, not twice it: \(together)")
        #expect(together.refused == 3 * perMinute - together.accepted && together.retryAfter)
        #expect(a.gateway.sharedLimiter != nil && b.gateway.sharedLimiter != nil)
        await a.stop()
        await b.stop()

        // The same with one bucket per process admits each gateway's own: about twice the limit.
        var perProcess = pipeline.config
        perProcess.gateway.rateLimitShared = false
        let c = try await RunningGateway.start(config: perProcess)
        let d = try await RunningGateway.start(config: perProcess)
        let apart = try await Self.hammer([c.url, d.url], key: local.key, count: 3 * perMinute)
        #expect(c.gateway.sharedLimiter == nil)
        #expect(apart.accepted >= 2 * perMinute, "per-process buckets: each gateway admits the whole limit: \(apart)")
        await c.stop()
        await d.stop()

        for key in [shared, local] {
            _ = try? await pipeline.database.execute("DELETE FROM rate_limit_buckets WHERE key_id = $1", [.string(key.record.id)])
            _ = try? await pipeline.database.execute("DELETE FROM api_keys WHERE id = $1", [.string(key.record.id)])
        }
        await pipeline.stop()
    }

    @Test func limitersTakeBatchesGiveBackUnusedTokensAndRefuseWhenTheSharedBucketIsEmpty() async throws {
        let environment = ProcessInfo.processInfo.environment
        let worker = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: environment["TIERFLOW_DATABASE_URL"] ?? ""), logger: PipelineHarness.logger)
        let store = PostgresGatewayStore(connection: worker)
        let keyId = "test-bucket-\(UUID().uuidString)"
        let first = SharedRateLimiter(store: store, batch: 10, allowanceSeconds: 30, logger: PipelineHarness.logger)
        let second = SharedRateLimiter(store: store, batch: 10, allowanceSeconds: 30, logger: PipelineHarness.logger)

        // 600 a minute: batches of 10, so 45 requests visit the bucket 5 times and leave 5 tokens unused.
        let started = ContinuousClock.now
        for _ in 0..<45 { #expect(await first.acquire(keyId: keyId, perMinute: 600) == .allowed) }
        #expect(first.storeVisits == 5, "one visit per batch, not per request")
        func tokens() async throws -> Double {
            try await worker.query("SELECT tokens FROM rate_limit_buckets WHERE key_id = $1", [.string(keyId)]).first?.double("tokens") ?? -1
        }
        let before = try await tokens()
        let earned = 10 * Double(started.duration(to: .now).components.seconds + 1)
        #expect(before <= 600 - 50 + earned, "the shared bucket lost what the batches took: \(before)")
        await first.returnUnused(everything: true)
        let after = try await tokens()
        #expect(after - before >= 4.99 || after == 600, "the 5 unused tokens went back: \(before) -> \(after)")

        // 2 a minute, seen by two limiters: together they admit 2, then both refuse with Retry-After.
        let small = "test-bucket-small-\(UUID().uuidString)"
        #expect(await first.acquire(keyId: small, perMinute: 2) == .allowed)
        #expect(await second.acquire(keyId: small, perMinute: 2) == .allowed)
        let refusedFirst = await first.acquire(keyId: small, perMinute: 2)
        let refusedSecond = await second.acquire(keyId: small, perMinute: 2)
        for refusal in [refusedFirst, refusedSecond] {
            guard case .limited(let seconds) = refusal else {
                Issue.record("a third request in the minute was admitted")
                continue
            }
            #expect((1...30).contains(seconds), "Retry-After is the time to the next token: \(seconds)")
        }
        let visits = second.storeVisits
        _ = await second.acquire(keyId: small, perMinute: 2)
        #expect(second.storeVisits == visits, "a key known to be empty is refused without asking the database")

        await worker.close()
        let owner = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: environment["TIERFLOW_DATABASE_OWNER_URL"] ?? ""), logger: PipelineHarness.logger)
        _ = try? await owner.execute("DELETE FROM rate_limit_buckets WHERE key_id = ANY($1::text[])", [.array([.string(keyId), .string(small)])])
        await owner.close()
    }
}
