import Foundation
import Testing
import TierflowCore

@testable import TierflowGateway

@Suite("Idempotency keys and shared-limit settings")
struct IdempotencyKeyTests {
    @Test func acceptsVisibleASCIIUpTo255Characters() throws {
        #expect(try IdempotencyKey("stainless-python-retry-3f2a9c1e-7d").value == "stainless-python-retry-3f2a9c1e-7d")
        #expect(try IdempotencyKey(String(repeating: "k", count: 255)).value.count == 255)
        #expect(try IdempotencyKey("!~").value == "!~")
    }

    @Test func refusesEmptyLongAndOtherCharactersWith400() {
        for bad in ["", String(repeating: "k", count: 256), "has space", "tab\tkey", "ключ", "nul\u{0}"] {
            #expect(throws: GatewayError.self) { try IdempotencyKey(bad) }
            do {
                _ = try IdempotencyKey(bad)
            } catch {
                #expect(error.status == .badRequest && error.code == "invalid_idempotency_key" && error.param == "Idempotency-Key")
            }
        }
    }

    @Test func queryIdsAreDerivedPerAPIKeyKeyAndGeneration() throws {
        let key = try IdempotencyKey("order-42")
        let first = key.queryId(keyId: "key_a", generation: 1)
        #expect(first.hasPrefix("chat-") && first.count == 5 + 24)
        #expect(first == key.queryId(keyId: "key_a", generation: 1), "deterministic")
        #expect(first != key.queryId(keyId: "key_b", generation: 1), "scoped to the API key")
        #expect(first != key.queryId(keyId: "key_a", generation: 2), "a new generation is a new query")
        #expect(first != (try IdempotencyKey("order-43")).queryId(keyId: "key_a", generation: 1))
    }

    @Test func fingerprintCoversWhatTheQueryIsMadeOf() {
        let base = ChatRequest(messages: [.init(role: "user", content: "Why does P-101 cavitate?")], model: "tierflow")
        let same = ChatRequest(messages: [.init(role: "user", content: "Why does P-101 cavitate?")], model: "tierflow")
        #expect(IdempotencyKey.fingerprint(of: base) == IdempotencyKey.fingerprint(of: same))
        var variants: [ChatRequest] = []
        for change in 0..<6 {
            var other = base
            switch change {
            case 0: other.messages[0].content += "?"
            case 1: other.model = "tierflow-quality"
            case 2: other.maxTokens = 10
            case 3: other.temperature = 0.5
            case 4: other.user = "u1"
            default: other.messages[0].role = "system"
            }
            variants.append(other)
        }
        let prints = Set(variants.map(IdempotencyKey.fingerprint(of:)))
        #expect(prints.count == variants.count && !prints.contains(IdempotencyKey.fingerprint(of: base)))
        // Length prefixes keep field boundaries: moving text between messages changes the fingerprint.
        let split1 = ChatRequest(messages: [.init(role: "user", content: "ab"), .init(role: "user", content: "c")])
        let split2 = ChatRequest(messages: [.init(role: "user", content: "a"), .init(role: "user", content: "bc")])
        #expect(IdempotencyKey.fingerprint(of: split1) != IdempotencyKey.fingerprint(of: split2))
    }

    @Test func rateLimitAndIdempotencySettingsParse() throws {
        let base = """
            broker: {url: "amqp://u:p@127.0.0.1:5672/v"}
            database: {url: "postgresql://u:p@127.0.0.1/d"}
            tiers:
              - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}}
            """
        let defaults = try PipelineConfig.parse(yaml: base).gateway
        #expect(defaults.rateLimitShared && defaults.rateLimitBatch == 10 && defaults.rateLimitAllowanceSeconds == 1)
        #expect(defaults.idempotencyRetentionHours == 24)
        let set = try PipelineConfig.parse(yaml: base + """

            gateway: {rate_limit: {shared: false, batch: 4, allowance_seconds: 0.5}, idempotency_retention_hours: 2}
            """).gateway
        #expect(!set.rateLimitShared && set.rateLimitBatch == 4 && set.rateLimitAllowanceSeconds == 0.5)
        #expect(set.idempotencyRetentionHours == 2)
        #expect(throws: ConfigError.self) {
            try PipelineConfig.parse(yaml: base + "\ngateway: {rate_limit: {sharde: true}}")
        }
    }

    @Test func batchesAreAtMostOneSecondOfRefill() {
        struct NoStore: RateLimitStore {
            func takeTokens(keyId: String, perMinute: Int, want: Int, giveBack: Int) async throws -> BucketGrant {
                BucketGrant(granted: 0, remaining: 0)
            }
        }
        let limiter = SharedRateLimiter(store: NoStore(), batch: 10, allowanceSeconds: 1, logger: ServerFixture.logger)
        #expect(limiter.batchSize(perMinute: 20) == 1)
        #expect(limiter.batchSize(perMinute: 300) == 5)
        #expect(limiter.batchSize(perMinute: 60_000) == 10)
    }
}
