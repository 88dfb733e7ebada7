import Foundation
import HTTPTypes
import Hummingbird
import TierflowCore
import TierflowPipeline

/// A chat completion ready to send: the completion, its JSON bytes, and whether it repeats an earlier answer.
struct ChatAnswer: Sendable {
    var completion: OpenAIChatCompletion
    var body: [UInt8]
    var replayed: Bool
}

extension GatewayHandlers {
    /// How much longer than the request timeout the request that claimed a key keeps it before others may
    /// take over (so a request still waiting in the same process is never raced by a take-over).
    static let leaseGraceSeconds = 2.0

    /// The `Idempotency-Key` header, checked (400 `invalid_idempotency_key` when malformed), or nil.
    static func idempotencyKey(in headers: HTTPFields) throws(GatewayError) -> IdempotencyKey? {
        guard let name = HTTPField.Name(IdempotencyKey.headerName), let value = headers[name] else { return nil }
        return try IdempotencyKey(value)
    }

    /// The answer to a chat request with an `Idempotency-Key`, shared by every gateway through `store`.
    ///
    /// The first request with the key (per API key, within the retention window) claims it and publishes the
    /// query under an id derived from the key; later ones answer with the stored completion (`replayed`), or
    /// wait for it while the first is in flight, polling the store, without publishing. A different request
    /// under the same key is 422. If the claiming request is gone (its lease ran out) before an answer, the next
    /// one takes over: it publishes the query again under the same id (the pipeline drops the repeat if the
    /// first got through) and waits for the result in `results`.
    func idempotentAnswer(
        _ chat: OpenAIChatRequest, policy: RoutingPolicy, principal: Principal, key: IdempotencyKey,
        store: any IdempotencyStore, now: Date
    ) async throws -> ChatAnswer {
        let fingerprint = IdempotencyKey.fingerprint(of: chat.chatRequest(model: policy.name))
        let retention = gateway.idempotencyRetentionHours * 3600
        let lease = gateway.requestTimeoutSeconds + Self.leaseGraceSeconds
        let deadline = ContinuousClock.now + requestTimeout
        let claimKey = { @Sendable () async throws -> IdempotencyClaim in
            try await store.claim(
                keyId: principal.keyId, key: key, fingerprint: fingerprint, retentionSeconds: retention, leaseSeconds: lease)
        }
        var claim = try await Self.storing(claimKey)
        var pause = Duration.milliseconds(20)
        while true {
            switch claim {
            case .owner(let queryId, let generation):
                return try await answerAsOwner(
                    chat, policy: policy, principal: principal, key: key, store: store, queryId: queryId,
                    generation: generation, now: now)
            case .existing(let record):
                guard record.fingerprint == fingerprint else { throw GatewayError.idempotencyKeyReused() }
                if let answer = try await replay(record, policy: policy, principal: principal, store: store) { return answer }
                if record.leaseExpired, try await Self.storing({ try await store.takeOver(record, leaseSeconds: lease) }) {
                    try await republish(chat, policy: policy, principal: principal, record: record, store: store, now: now)
                }
            }
            guard ContinuousClock.now + pause < deadline else { throw GatewayError.timeout(seconds: gateway.requestTimeoutSeconds) }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(320))
            if let record = try await Self.storing({ try await store.lookup(keyId: principal.keyId, key: key) }), !record.expired {
                claim = .existing(record)
            } else {
                claim = try await Self.storing(claimKey)
            }
        }
    }

    /// Publishes the query as the key's owner, waits for its result on the reply queue and stores the answer.
    func answerAsOwner(
        _ chat: OpenAIChatRequest, policy: RoutingPolicy, principal: Principal, key: IdempotencyKey,
        store: any IdempotencyStore, queryId: String, generation: Int, now: Date
    ) async throws -> ChatAnswer {
        let release = { @Sendable () async in
            _ = try? await store.release(keyId: principal.keyId, key: key, generation: generation)
        }
        let envelope: QueryEnvelope
        do {
            let spent = try checkBudget(principal, now: now)
            envelope = makeEnvelope(chat.chatRequest(model: policy.name), policy: policy, principal: principal, spent: spent, now: now, id: queryId)
        } catch {
            await release()
            throw error
        }
        let result: ResultMessage
        do {
            result = try await dispatcher.answer(envelope, timeout: requestTimeout)
        } catch let error as GatewayError where error.code != "timeout" {
            // Refused at publishing: nothing runs under this key, so the next request with it takes over.
            await release()
            throw error
        }
        let completion = OpenAIChatCompletion(result: result, policy: policy)
        let body = codec.encode(completion)
        let first: Bool
        do {
            first = try await store.complete(
                keyId: principal.keyId, key: key, generation: generation, response: String(decoding: body, as: UTF8.self))
        } catch {
            logger.warning("could not store the idempotent answer", metadata: ["query.id": "\(queryId)", "error": "\(error)"])
            first = true
        }
        if first {
            ledger.record(keyId: principal.keyId, costUSD: result.costUSD)
            return ChatAnswer(completion: completion, body: body, replayed: false)
        }
        // A request replaying from `results` stored the answer first (and counted its cost): send the same bytes.
        if let record = try? await store.lookup(keyId: principal.keyId, key: key), record.generation == generation,
            let stored = record.response.flatMap({ storedAnswer($0) })
        {
            return ChatAnswer(completion: stored.completion, body: stored.body, replayed: false)
        }
        return ChatAnswer(completion: completion, body: body, replayed: false)
    }

    /// The stored answer for `record`, or one made from the query's row in `results` (then stored, so every
    /// later replay sends the same bytes; whoever stores it first counts its cost); nil while neither exists.
    func replay(
        _ record: IdempotencyRecord, policy: RoutingPolicy, principal: Principal, store: any IdempotencyStore
    ) async throws -> ChatAnswer? {
        if let response = record.response {
            guard let stored = storedAnswer(response) else {
                throw GatewayError(
                    status: .internalServerError, type: "server_error", code: "internal_error",
                    message: "The stored answer for this Idempotency-Key cannot be read.")
            }
            return ChatAnswer(completion: stored.completion, body: stored.body, replayed: true)
        }
        guard let result = record.result else { return nil }
        let completion = OpenAIChatCompletion(result: result, policy: policy, created: record.resultFinishedAt ?? Date())
        let body = codec.encode(completion)
        let key = try IdempotencyKey(record.key)
        let text = String(decoding: body, as: UTF8.self)
        if try await Self.storing({ try await store.complete(keyId: record.keyId, key: key, generation: record.generation, response: text) }) {
            ledger.record(keyId: principal.keyId, costUSD: result.costUSD)
            return ChatAnswer(completion: completion, body: body, replayed: true)
        }
        if let again = try await Self.storing({ try await store.lookup(keyId: record.keyId, key: key) }),
            again.generation == record.generation, let stored = again.response.flatMap({ storedAnswer($0) })
        {
            return ChatAnswer(completion: stored.completion, body: stored.body, replayed: true)
        }
        return ChatAnswer(completion: completion, body: body, replayed: true)
    }

    /// Publishes the key's query again under its id, without waiting (the caller polls `results`).
    func republish(
        _ chat: OpenAIChatRequest, policy: RoutingPolicy, principal: Principal, record: IdempotencyRecord,
        store: any IdempotencyStore, now: Date
    ) async throws {
        let key = try IdempotencyKey(record.key)
        do {
            let spent = try checkBudget(principal, now: now)
            let envelope = makeEnvelope(
                chat.chatRequest(model: policy.name), policy: policy, principal: principal, spent: spent, now: now, id: record.queryId)
            try await dispatcher.publish(envelope)
            logger.notice("idempotent query published again", metadata: ["query.id": "\(record.queryId)"])
        } catch {
            try? await store.release(keyId: record.keyId, key: key, generation: record.generation)
            throw error
        }
    }

    /// A stored completion and its exact bytes.
    func storedAnswer(_ response: String) -> (completion: OpenAIChatCompletion, body: [UInt8])? {
        let bytes = Array(response.utf8)
        guard let completion = try? codec.decode(OpenAIChatCompletion.self, from: bytes) else { return nil }
        return (completion, bytes)
    }

    /// Runs a store call; a database failure becomes 503 (``GatewayError``s pass through).
    static func storing<T: Sendable>(_ call: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as GatewayError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw GatewayError.unavailable("The gateway's database is not reachable; try again.")
        }
    }
}
