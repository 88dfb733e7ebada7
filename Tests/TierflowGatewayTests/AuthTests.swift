import Foundation
import Testing
import TierflowCore

@testable import TierflowGateway

@Suite("SHA-256 and constant-time comparison")
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (String(repeating: "a", count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ("Grüße ✓", "087c35de16ad400745205d66394e4a98ce8385bc8aba58e0a2fc1f4b4c0e1fdb"),
    ])
    func knownVectors(input: String, expected: String) {
        #expect(SHA256.hex(input) == expected)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equal([], []))
    }
}

@Suite("API keys")
struct APIKeyTests {
    func config(requireKey: Bool = true) -> GatewayConfig {
        var config = GatewayConfig()
        config.requireAPIKey = requireKey
        config.rateLimitPerMinute = 77
        config.dailyBudgetUSD = 3
        return config
    }

    @Test func generatedKeysAreStoredOnlyAsTheirHash() {
        let (key, record) = APIKeyRecord.generate(name: "ops", rateLimitPerMinute: 5)
        #expect(key.hasPrefix("tf-") && key.count == 51)
        #expect(record.keyHash == SHA256.hex(key))
        #expect(record.keyHash != key && !record.keyHash.contains(key))
        #expect(record.id.hasPrefix("key_") && record.prefix == String(key.prefix(9)))
        #expect(APIKeyRecord.generate(name: "ops").key != key)
    }

    @Test func authenticatesKnownKeysOnly() {
        let registry = APIKeyRegistry(config: config())
        let (key, record) = APIKeyRecord.generate(name: "a", rateLimitPerMinute: 5, dailyBudgetUSD: nil)
        let (revokedKey, revokedRecord) = APIKeyRecord.generate(name: "b")
        var revoked = revokedRecord
        revoked.disabled = true
        registry.replace(with: [record, revoked])
        #expect(registry.count == 1)
        let principal = registry.authenticate(key)
        #expect(principal?.keyId == record.id)
        #expect(principal?.rateLimitPerMinute == 5)
        #expect(principal?.dailyBudgetUSD == 3, "the gateway default applies when the key sets none")
        #expect(registry.authenticate(key + "x") == nil)
        #expect(registry.authenticate(revokedKey) == nil, "revoked keys are refused")
        #expect(registry.authenticate(nil) == nil, "a key is required")
        #expect(registry.authenticate("") == nil)
    }

    @Test func anonymousCallersWhenKeysAreNotRequired() {
        let registry = APIKeyRegistry(config: config(requireKey: false))
        let principal = registry.authenticate(nil)
        #expect(principal?.keyId == Principal.anonymousId)
        #expect(principal?.rateLimitPerMinute == 77)
        #expect(registry.authenticate("tf-unknown") == nil, "a wrong key is still refused")
    }

    @Test func presentedKeyHeaders() {
        #expect(GatewayHandlers.presentedKey([.authorization: "Bearer tf-abc"]) == "tf-abc")
        #expect(GatewayHandlers.presentedKey([.authorization: "bearer  tf-abc "]) == "tf-abc")
        #expect(GatewayHandlers.presentedKey([:]) == nil)
    }
}

@Suite("Rate limits and budgets")
struct LimitTests {
    @Test func tokenBucketRefusesWithRetryAfterThenRefills() {
        let limiter = RateLimiter()
        #expect(limiter.acquire(keyId: "k", perMinute: 2, now: 100) == .allowed)
        #expect(limiter.acquire(keyId: "k", perMinute: 2, now: 100) == .allowed)
        #expect(limiter.acquire(keyId: "k", perMinute: 2, now: 100) == .limited(retryAfterSeconds: 30))
        #expect(limiter.acquire(keyId: "other", perMinute: 2, now: 100) == .allowed, "buckets are per key")
        #expect(limiter.acquire(keyId: "k", perMinute: 2, now: 115) == .limited(retryAfterSeconds: 15))
        #expect(limiter.acquire(keyId: "k", perMinute: 2, now: 130) == .allowed)
    }

    @Test func zeroMeansUnlimited() {
        let limiter = RateLimiter()
        for _ in 0..<1000 { #expect(limiter.acquire(keyId: "k", perMinute: 0, now: 1) == .allowed) }
    }

    @Test func ledgerAddsPendingToPersistedAndSurvivesFailedWrites() {
        let ledger = SpendLedger()
        let now = Date(timeIntervalSince1970: 1_795_459_435)
        let day = SpendLedger.day(of: now)
        ledger.replacePersisted(["k": 1.5], day: day)
        ledger.record(keyId: "k", costUSD: 0.25, now: now)
        ledger.record(keyId: "k", costUSD: 0.25, now: now)
        #expect(ledger.spent(keyId: "k", now: now) == 2.0)
        let pending = ledger.takePending()
        #expect(pending == [.init(keyId: "k", day: day, costUSD: 0.5, requests: 2)])
        #expect(ledger.spent(keyId: "k", now: now) == 1.5)
        ledger.restore(pending)
        #expect(ledger.spent(keyId: "k", now: now) == 2.0)
        #expect(ledger.spent(keyId: "k", now: now.addingTimeInterval(86_400)) == 0, "a new day starts at zero")
    }

    @Test(arguments: [
        (0.0, "1970-01-01"), (951_782_400.0, "2000-02-29"), (1_795_459_435.0, "2026-11-23"), (-86_400.0, "1969-12-31"),
        (4_102_444_799.0, "2099-12-31"),
    ])
    func utcDays(seconds: Double, expected: String) {
        #expect(SpendLedger.day(of: Date(timeIntervalSince1970: seconds)) == expected)
    }
}
