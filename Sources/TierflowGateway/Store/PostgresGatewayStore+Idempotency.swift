import Foundation
import TierflowCore
import TierflowPipeline
import TierflowPostgres

extension PostgresGatewayStore: IdempotencyStore {
    public func claim(
        keyId: String, key: IdempotencyKey, fingerprint: String, retentionSeconds: Double, leaseSeconds: Double
    ) async throws -> IdempotencyClaim {
        // A few rounds at most: each one loses only to a request that inserted, re-claimed or purged in between.
        for _ in 0..<5 {
            let inserted = try await connection.query(
                """
                INSERT INTO idempotency_keys (key_id, idempotency_key, generation, fingerprint, query_id, expires_at, lease_until)
                VALUES ($1, $2, 1, $3, $4, now() + make_interval(secs => $5::float8), now() + make_interval(secs => $6::float8))
                ON CONFLICT (key_id, idempotency_key) DO NOTHING
                RETURNING generation
                """,
                [
                    .string(keyId), .string(key.value), .string(fingerprint), .string(key.queryId(keyId: keyId, generation: 1)),
                    .double(retentionSeconds), .double(leaseSeconds),
                ])
            if !inserted.isEmpty { return .owner(queryId: key.queryId(keyId: keyId, generation: 1), generation: 1) }
            guard let record = try await lookup(keyId: keyId, key: key) else { continue }
            guard record.expired else { return .existing(record) }
            let generation = record.generation + 1
            let queryId = key.queryId(keyId: keyId, generation: generation)
            let renewed = try await connection.execute(
                """
                UPDATE idempotency_keys SET generation = $4, fingerprint = $5, query_id = $6, created_at = now(),
                    expires_at = now() + make_interval(secs => $7::float8), lease_until = now() + make_interval(secs => $8::float8),
                    response = NULL, completed_at = NULL
                WHERE key_id = $1 AND idempotency_key = $2 AND generation = $3 AND expires_at <= now()
                """,
                [
                    .string(keyId), .string(key.value), .int(record.generation), .int(generation), .string(fingerprint),
                    .string(queryId), .double(retentionSeconds), .double(leaseSeconds),
                ])
            if renewed > 0 { return .owner(queryId: queryId, generation: generation) }
        }
        throw GatewayError.unavailable("The idempotency key is being claimed by another request; try again.")
    }

    public func lookup(keyId: String, key: IdempotencyKey) async throws -> IdempotencyRecord? {
        let rows = try await connection.query(
            """
            SELECT i.generation, i.fingerprint, i.query_id, i.response, i.expires_at <= now() AS expired,
                   i.lease_until <= now() AS lease_expired, r.query_id AS result_id, r.source, r.layer, r.tier, r.model,
                   r.answer, r.confidence, r.low_confidence, r.ended_by, r.escalations, r.cost_usd, r.latency_ms,
                   r.simulated, r.site, r.asset, r.history::text AS history, r.finished_at
            FROM idempotency_keys i
            LEFT JOIN results r ON r.query_id = i.query_id AND i.response IS NULL
            WHERE i.key_id = $1 AND i.idempotency_key = $2
            """,
            [.string(keyId), .string(key.value)])
        guard let row = rows.first else { return nil }
        var record = IdempotencyRecord(
            keyId: keyId, key: key.value, generation: try row.int("generation") ?? 1,
            fingerprint: try row.string("fingerprint") ?? "", queryId: try row.string("query_id") ?? "",
            response: try row.string("response"), expired: try row.bool("expired") ?? false,
            leaseExpired: try row.bool("lease_expired") ?? false)
        if let resultId = try row.string("result_id") {
            let history = try row.string("history").flatMap { try? EnvelopeCodec().decode([TierAttempt].self, from: Array($0.utf8)) }
            record.result = ResultMessage(
                queryId: resultId, source: QueryEnvelope.Source(rawValue: try row.string("source") ?? "") ?? .chat,
                layer: try row.int("layer") ?? 0, tier: try row.string("tier"), model: try row.string("model"),
                answer: try row.string("answer") ?? "", confidence: try row.double("confidence"),
                lowConfidence: try row.bool("low_confidence") ?? false, endedBy: try row.string("ended_by") ?? "accepted",
                escalations: try row.int("escalations") ?? 0, costUSD: try row.double("cost_usd") ?? 0,
                latencyMilliseconds: try row.double("latency_ms") ?? 0, simulated: try row.bool("simulated") ?? false,
                site: try row.string("site"), asset: try row.string("asset"), linkedEvents: nil, history: history ?? [])
            record.resultFinishedAt = try row.date("finished_at")
        }
        return record
    }

    public func takeOver(_ record: IdempotencyRecord, leaseSeconds: Double) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE idempotency_keys SET lease_until = now() + make_interval(secs => $4::float8)
            WHERE key_id = $1 AND idempotency_key = $2 AND generation = $3 AND lease_until <= now()
              AND response IS NULL AND expires_at > now()
            """,
            [.string(record.keyId), .string(record.key), .int(record.generation), .double(leaseSeconds)]) > 0
    }

    public func complete(keyId: String, key: IdempotencyKey, generation: Int, response: String) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE idempotency_keys SET response = $4, completed_at = now()
            WHERE key_id = $1 AND idempotency_key = $2 AND generation = $3 AND response IS NULL
            """,
            [.string(keyId), .string(key.value), .int(generation), .string(PostgresValue.sanitised(response))]) > 0
    }

    public func release(keyId: String, key: IdempotencyKey, generation: Int) async throws {
        _ = try await connection.execute(
            """
            UPDATE idempotency_keys SET lease_until = now()
            WHERE key_id = $1 AND idempotency_key = $2 AND generation = $3 AND response IS NULL
            """,
            [.string(keyId), .string(key.value), .int(generation)])
    }

    public func purgeExpired(limit: Int) async throws -> Int {
        try await connection.query("SELECT tierflow_purge_idempotency_keys($1) AS n", [.int(limit)]).first?.int("n") ?? 0
    }
}
