import Foundation
import TierflowPipeline
import TierflowPostgres

/// Writes knowledge-base entries to `kb_entries`.
public struct KnowledgeBaseStore: Sendable {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Inserts or updates `entries` by key, in one transaction; returns how many rows were written.
    @discardableResult
    public func upsert(_ entries: [KnowledgeEntry]) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        let statements = entries.map { entry in
            PostgresStatement(
                """
                INSERT INTO kb_entries (key, kind, fault_code, asset_class, tag, question, answer, source, valid_until)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, fault_code = EXCLUDED.fault_code,
                    asset_class = EXCLUDED.asset_class, tag = EXCLUDED.tag, question = EXCLUDED.question,
                    answer = EXCLUDED.answer, source = EXCLUDED.source, valid_until = EXCLUDED.valid_until,
                    updated_at = now()
                """,
                [
                    .string(entry.key), .string(entry.kind), .string(entry.faultCode), .string(entry.assetClass),
                    .string(entry.tag), .string(entry.question), .string(entry.answer), .string(entry.source),
                    .date(entry.validUntil),
                ])
        }
        let results = try await connection.transaction(statements)
        return results.reduce(0) { $0 + $1.affectedRows }
    }
}
