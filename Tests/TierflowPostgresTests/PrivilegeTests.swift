import Foundation
import Testing

@testable import TierflowPostgres

@Suite("Least privilege (live)", .enabled(if: LiveDatabase.isEnabled))
struct PrivilegeTests {
    /// Runs `sql` as the worker inside a transaction that can never commit (a division by zero follows), so
    /// even if the privilege check were missing nothing would change; returns the first error.
    private func workerError(_ connection: PostgresConnection, _ sql: String) async throws -> PostgresError {
        try await #require(throws: PostgresError.self) {
            try await connection.transaction([PostgresStatement(sql), PostgresStatement("SELECT 1 / 0")])
        }
    }

    @Test("the worker role cannot drop, alter, truncate, delete or create; it can insert, select and update")
    func workerRole() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let worker = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await worker.close() } }

        let drop = try await workerError(worker, "DROP TABLE hops")
        #expect(drop.sqlState == "42501")
        #expect(drop.message.contains("must be owner"))
        let alter = try await workerError(worker, "ALTER TABLE hops ADD COLUMN x integer")
        #expect(alter.sqlState == "42501")
        #expect(alter.message.contains("must be owner"))
        #expect(try await workerError(worker, "TRUNCATE hops").sqlState == "42501")
        #expect(try await workerError(worker, "DELETE FROM hops WHERE false").sqlState == "42501")
        #expect(try await workerError(worker, "CREATE TABLE worker_table_\(LiveDatabase.uniqueSuffix()) (id integer)").sqlState == "42501")

        let prefix = "test-priv-\(LiveDatabase.uniqueSuffix())-"
        let inserted = try await worker.execute(
            "INSERT INTO hops (query_id, stage, worker, started_at, finished_at, decision) VALUES ($1, 'ingest', 'w', now(), now(), 'ok')",
            [.string(prefix + "1")])
        #expect(inserted == 1)
        let updated = try await worker.execute("UPDATE hops SET decision = 'updated' WHERE query_id = $1", [.string(prefix + "1")])
        #expect(updated == 1)
        let rows = try await worker.query("SELECT decision FROM hops WHERE query_id = $1", [.string(prefix + "1")])
        #expect(try rows.first?.string("decision") == "updated")
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("the owner role owns the schema objects")
    func ownerRole() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let owner = try await LiveDatabase.connect(url: LiveDatabase.ownerURL)
        defer { Task { await owner.close() } }
        let rows = try await owner.query(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1::text[])",
            [.array(["hops", "queries", "results", "dead_letters", "schema_migrations"])])
        #expect(rows.count == 5)
        #expect(try rows.allSatisfy { try $0.string("tableowner") == "tierflow_owner" })
    }
}
