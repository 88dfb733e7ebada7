import Foundation
import TierflowPipeline

/// What the store holds for one (API key, `Idempotency-Key`).
public struct IdempotencyRecord: Sendable, Hashable {
    public var keyId: String
    public var key: String
    /// How many times the key was claimed afresh (after its retention window ended).
    public var generation: Int
    /// ``IdempotencyKey/fingerprint(of:)`` of the request that claimed it.
    public var fingerprint: String
    public var queryId: String
    /// The `chat.completion` JSON answered, once a request answered.
    public var response: String?
    /// The retention window has ended: the key may be claimed afresh.
    public var expired: Bool
    /// The claiming request's lease has run out without a response: another request may take over.
    public var leaseExpired: Bool
    /// The query's row in `results`, when it is there and no response is stored yet.
    public var result: ResultMessage?
    /// When that result was written.
    public var resultFinishedAt: Date?

    public init(
        keyId: String, key: String, generation: Int, fingerprint: String, queryId: String, response: String? = nil,
        expired: Bool = false, leaseExpired: Bool = false, result: ResultMessage? = nil, resultFinishedAt: Date? = nil
    ) {
        self.keyId = keyId
        self.key = key
        self.generation = generation
        self.fingerprint = fingerprint
        self.queryId = queryId
        self.response = response
        self.expired = expired
        self.leaseExpired = leaseExpired
        self.result = result
        self.resultFinishedAt = resultFinishedAt
    }
}

/// The outcome of claiming an idempotency key.
public enum IdempotencyClaim: Sendable, Hashable {
    /// This request owns the key: it publishes `queryId` and stores the response.
    case owner(queryId: String, generation: Int)
    /// Another request claimed it first (this one replays or waits).
    case existing(IdempotencyRecord)
}

/// Idempotency keys shared by every gateway (PostgreSQL table `idempotency_keys`, migration 005).
public protocol IdempotencyStore: Sendable {
    /// Inserts the key for `keyId` with `fingerprint` and a lease of `leaseSeconds`, or claims it afresh when its
    /// retention window has ended; otherwise returns what is stored.
    func claim(
        keyId: String, key: IdempotencyKey, fingerprint: String, retentionSeconds: Double, leaseSeconds: Double
    ) async throws -> IdempotencyClaim
    /// What is stored for the key, with the query's result when it is in `results`.
    func lookup(keyId: String, key: IdempotencyKey) async throws -> IdempotencyRecord?
    /// Takes over a key whose lease ran out without a response; false when another request did first.
    func takeOver(_ record: IdempotencyRecord, leaseSeconds: Double) async throws -> Bool
    /// Stores the response of `generation`; false when a response was already stored.
    func complete(keyId: String, key: IdempotencyKey, generation: Int, response: String) async throws -> Bool
    /// Ends the lease now (nothing was published, or the request was refused): the next request takes over.
    func release(keyId: String, key: IdempotencyKey, generation: Int) async throws
    /// Deletes up to `limit` keys past their retention window; returns how many.
    func purgeExpired(limit: Int) async throws -> Int
}
