import Foundation
import TierflowCore
import TierflowPostgres

/// ``GatewayStore`` on PostgreSQL (tables `api_keys`, `api_key_spend`, `feedback`, `kb_entries`, migration 003).
///
/// Promoting a correction writes the `kb_entries` row here (kind `kb`, `derived_from` = the query id) with
/// its own parameterised upsert: the knowledge-base store's upsert has no `derived_from`.
public struct PostgresGatewayStore: GatewayStore {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public func loadKeys() async throws -> [APIKeyRecord] {
        let rows = try await connection.query(
            """
            SELECT id, name, key_hash, key_prefix, rate_limit_per_minute, daily_budget_usd, created_at, disabled
            FROM api_keys ORDER BY created_at
            """)
        return try rows.map { row in
            APIKeyRecord(
                id: try row.string("id") ?? "", name: try row.string("name") ?? "", keyHash: try row.string("key_hash") ?? "",
                prefix: try row.string("key_prefix") ?? "", rateLimitPerMinute: try row.int("rate_limit_per_minute"),
                dailyBudgetUSD: try row.double("daily_budget_usd"), createdAt: try row.date("created_at") ?? Date(),
                disabled: try row.bool("disabled") ?? false)
        }
    }

    /// Inserts a new key record.
    public func insertKey(_ record: APIKeyRecord) async throws {
        try await connection.execute(
            """
            INSERT INTO api_keys (id, name, key_hash, key_prefix, rate_limit_per_minute, daily_budget_usd)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            [
                .string(record.id), .string(record.name), .string(record.keyHash), .string(record.prefix),
                .int(record.rateLimitPerMinute), .double(record.dailyBudgetUSD),
            ])
    }

    /// Disables key `id`; returns false when there is no such key.
    public func revokeKey(id: String) async throws -> Bool {
        try await connection.execute(
            "UPDATE api_keys SET disabled = true, disabled_at = coalesce(disabled_at, now()) WHERE id = $1", [.string(id)]) > 0
    }

    public func loadSpend(day: String) async throws -> [String: Double] {
        let rows = try await connection.query(
            "SELECT key_id, cost_usd FROM api_key_spend WHERE day = $1::date", [.string(day)])
        var totals: [String: Double] = [:]
        for row in rows {
            if let id = try row.string("key_id") { totals[id] = try row.double("cost_usd") ?? 0 }
        }
        return totals
    }

    public func addSpend(_ deltas: [SpendLedger.Delta]) async throws {
        guard !deltas.isEmpty else { return }
        _ = try await connection.transaction(
            deltas.map { delta in
                PostgresStatement(
                    """
                    INSERT INTO api_key_spend (key_id, day, cost_usd, requests) VALUES ($1, $2::date, $3, $4)
                    ON CONFLICT (key_id, day) DO UPDATE SET cost_usd = api_key_spend.cost_usd + EXCLUDED.cost_usd,
                        requests = api_key_spend.requests + EXCLUDED.requests, updated_at = now()
                    """,
                    [.string(delta.keyId), .string(delta.day), .double(delta.costUSD), .int(delta.requests)])
            })
    }

    public func storeFeedback(_ feedback: Feedback) async throws -> FeedbackReceipt {
        let found = try await connection.query("SELECT payload::text AS payload FROM queries WHERE id = $1", [.string(feedback.queryId)])
        guard let row = found.first else {
            throw GatewayError(
                status: .notFound, type: "invalid_request_error", code: "query_not_found",
                message: "No query with id \"\(feedback.queryId)\" (it may not have reached the pipeline yet).", param: "query_id")
        }
        let insert = PostgresStatement(
            "INSERT INTO feedback (query_id, rating, corrected_answer, api_key_id) VALUES ($1, $2, $3, $4) RETURNING id",
            [.string(feedback.queryId), .int(feedback.rating), .string(feedback.correctedAnswer), .string(feedback.keyId)])
        guard feedback.promote, let correction = feedback.correctedAnswer else {
            let rows = try await connection.transaction([insert])
            return FeedbackReceipt(id: try rows[0].first?.int("id") ?? 0, knowledgeKey: nil)
        }
        let payload = try EnvelopeCodec().decode(QueryPayload.self, from: Array((try row.string("payload") ?? "{}").utf8))
        let event = payload.faultEvent
        let key = "feedback:" + feedback.queryId
        let upsert = PostgresStatement(
            """
            INSERT INTO kb_entries (key, kind, fault_code, asset_class, tag, question, answer, source, derived_from)
            VALUES ($1, 'kb', $2, $3, $4, $5, $6, 'feedback', $7)
            ON CONFLICT (key) DO UPDATE SET answer = EXCLUDED.answer, question = EXCLUDED.question,
                fault_code = EXCLUDED.fault_code, asset_class = EXCLUDED.asset_class, tag = EXCLUDED.tag,
                source = EXCLUDED.source, derived_from = EXCLUDED.derived_from, updated_at = now()
            """,
            [
                .string(key), .string(event?.faultCode), .string(event?.assetClass), .string(event?.tag), .string(payload.text),
                .string(correction), .string(feedback.queryId),
            ])
        let rows = try await connection.transaction([insert, upsert])
        return FeedbackReceipt(id: try rows[0].first?.int("id") ?? 0, knowledgeKey: key)
    }
}
