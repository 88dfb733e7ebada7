import Foundation
import Testing

@testable import TierflowPostgres

@Suite("Migrator (live)", .enabled(if: LiveDatabase.isEnabled))
struct MigratorTests {
    /// Creates `tierflow_test_<random>` owned by tierflow_owner, runs `body` with its owner URL, drops it.
    private func withFreshDatabase(_ body: (String) async throws -> Void) async throws {
        let name = "tierflow_test_\(LiveDatabase.uniqueSuffix())"
        try LiveDatabase.superuser("CREATE DATABASE \(name) OWNER tierflow_owner", database: "postgres")
        do {
            try await body(LiveDatabase.url(LiveDatabase.ownerURL, database: name))
        } catch {
            _ = try? LiveDatabase.superuser("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", database: "postgres")
            throw error
        }
        try LiveDatabase.superuser("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", database: "postgres")
    }

    /// Tables, columns and indexes of schema public, one line each.
    private func catalog(_ connection: PostgresConnection) async throws -> [String] {
        let columns = try await connection.query("""
            SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable AS line
            FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name
            """)
        let indexes = try await connection.query(
            "SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")
        return try (Array(columns) + Array(indexes)).map { try $0.string("line") ?? "" }
    }

    private func temporaryDirectory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-migrations-\(LiveDatabase.uniqueSuffix())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("a fresh database is migrated once; a second run changes nothing")
    func freshDatabase() async throws {
        try await withFreshDatabase { url in
            let connection = try await LiveDatabase.connect(url: url)
            let migrator = Migrator(connection: connection, logger: LiveDatabase.logger)
            let files = try FileManager.default.contentsOfDirectory(atPath: LiveDatabase.migrationsDirectory.path)
                .filter { $0.hasSuffix(".sql") }.sorted()

            let first = try await migrator.migrate(directory: LiveDatabase.migrationsDirectory)
            #expect(first.map(\.name) == files)
            #expect(first.first?.name == "001_initial.sql")
            #expect(first.allSatisfy { $0.checksum.count == 64 })
            let recordedAfterFirst = try await migrator.appliedMigrations()
            let catalogAfterFirst = try await catalog(connection)
            #expect(recordedAfterFirst == first)
            for table in ["queries", "hops", "results", "dead_letters", "kb_entries", "router_models", "feedback"] {
                #expect(catalogAfterFirst.contains { $0.hasPrefix(table + ".") }, "missing table \(table)")
            }

            let second = try await migrator.migrate(directory: LiveDatabase.migrationsDirectory)
            #expect(second.isEmpty)
            #expect(try await migrator.appliedMigrations() == recordedAfterFirst)
            #expect(try await catalog(connection) == catalogAfterFirst)
            await connection.close()
        }
    }

    @Test("concurrent migrators serialise on the advisory lock: exactly one applies")
    func concurrentMigrators() async throws {
        try await withFreshDatabase { url in
            let a = try await LiveDatabase.connect(url: url)
            let b = try await LiveDatabase.connect(url: url)
            async let first = Migrator(connection: a, logger: LiveDatabase.logger).migrate(directory: LiveDatabase.migrationsDirectory)
            async let second = Migrator(connection: b, logger: LiveDatabase.logger).migrate(directory: LiveDatabase.migrationsDirectory)
            let counts = try await [first.count, second.count].sorted()
            #expect(counts.first == 0)
            #expect(counts.last ?? 0 >= 1)
            await a.close()
            await b.close()
        }
    }

    @Test("a bad migration rolls back the whole run and names the file and line")
    func badMigrationRollsBack() async throws {
        let directory = try temporaryDirectory([
            "001_good.sql": "CREATE TABLE good_one (id integer);\n",
            "002_bad.sql": "CREATE TABLE good_two (id integer);\nSELECT 1;\nCREATE TABLE broken (id integer,, x integer);\n",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withFreshDatabase { url in
            let connection = try await LiveDatabase.connect(url: url)
            let migrator = Migrator(connection: connection, logger: LiveDatabase.logger)
            let error = try await #require(throws: PostgresError.self) {
                try await migrator.migrate(directory: directory)
            }
            #expect(error.code == .migrationFailed)
            #expect(error.sqlState == "42601")
            #expect(error.message.contains("002_bad.sql"))
            #expect(error.message.contains("syntax error"))
            #expect(error.context["migration.file"] == "002_bad.sql")
            #expect(error.context["migration.line"] == "3")
            let left = try await connection.query("""
                SELECT to_regclass('good_one') IS NULL AS no_one, to_regclass('good_two') IS NULL AS no_two,
                       to_regclass('schema_migrations') IS NULL AS no_history
                """)
            #expect(try left.first?.bool("no_one") == true)
            #expect(try left.first?.bool("no_two") == true)
            #expect(try left.first?.bool("no_history") == true)
            await connection.close()
        }
    }

    @Test("an applied file that changed is refused, naming the file")
    func changedChecksum() async throws {
        let directory = try temporaryDirectory(["001_first.sql": "CREATE TABLE first_table (id integer);\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withFreshDatabase { url in
            let connection = try await LiveDatabase.connect(url: url)
            let migrator = Migrator(connection: connection, logger: LiveDatabase.logger)
            #expect(try await migrator.migrate(directory: directory).count == 1)
            try "CREATE TABLE first_table (id bigint);\n"
                .write(to: directory.appendingPathComponent("001_first.sql"), atomically: true, encoding: .utf8)
            try "CREATE TABLE second_table (id integer);\n"
                .write(to: directory.appendingPathComponent("002_second.sql"), atomically: true, encoding: .utf8)
            let error = try await #require(throws: PostgresError.self) {
                try await migrator.migrate(directory: directory)
            }
            #expect(error.code == .migrationChecksumMismatch)
            #expect(error.message.contains("001_first.sql"))
            let second = try await connection.query("SELECT to_regclass('second_table') IS NULL AS absent")
            #expect(try second.first?.bool("absent") == true)
            await connection.close()
        }
    }
}
