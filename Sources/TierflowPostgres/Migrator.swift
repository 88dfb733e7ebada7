import Foundation
import Logging

/// Applies the numbered SQL files of a directory (`NNN_name.sql`) that are not yet recorded in
/// `schema_migrations`, in version order, all in ONE transaction under `pg_advisory_xact_lock`.
///
/// Running it again is a no-op. If any file fails, nothing of the run is committed, and the error names the
/// file and the server's message and line. If an applied file's checksum changed, it refuses to run.
/// Files run with the simple query protocol: they are trusted SQL and must not contain BEGIN/COMMIT.
/// Run it with the owner role.
public struct Migrator: Sendable {
    /// The advisory lock key that serialises concurrent migrators (any constant shared by all of them).
    public static let lockKey: Int64 = 0x7469_6572_666C_6F77  // "tierflow"

    private let connection: PostgresConnection
    private let logger: Logger

    /// Creates a migrator that runs on `connection`.
    public init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Applies pending migrations from `directory`; returns those applied now (empty when up to date).
    public func migrate(directory: URL) async throws -> [AppliedMigration] {
        let files = try MigrationFile.load(directory: directory)
        let logger = self.logger
        let applied = try await connection.withSession { session in
            try session.transaction { try Self.apply(files, session: session, logger: logger) }
        }
        for migration in applied {
            logger.info("applied migration", metadata: [
                "migration.file": "\(migration.name)", "migration.version": "\(migration.version)",
            ])
        }
        return applied
    }

    /// The migrations recorded so far, by version (empty if `schema_migrations` does not exist yet).
    public func appliedMigrations() async throws -> [AppliedMigration] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try exists.first?.bool("present") == true else { return [] }
        return try await connection.query(Self.selectApplied).map(Self.migration(from:))
    }

    private static let selectApplied = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"

    private static func apply(
        _ files: [MigrationFile], session: PostgresSession, logger: Logger
    ) throws -> [AppliedMigration] {
        _ = try session.execute("SELECT pg_advisory_xact_lock($1)", [.int64(lockKey)])
        try session.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text        NOT NULL,
                checksum    text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """)
        let recorded = Dictionary(
            uniqueKeysWithValues: try session.execute(selectApplied, []).map(migration(from:)).map { ($0.version, $0) })
        var pending: [(MigrationFile, String)] = []
        for file in files {
            let checksum = try session.execute("SELECT encode(sha256($1), 'hex') AS checksum", [.bytes(file.bytes)])
                .first?.string("checksum") ?? ""
            if let existing = recorded[file.version] {
                guard existing.checksum == checksum else {
                    throw PostgresError(
                        code: .migrationChecksumMismatch,
                        message: "migration \(file.name) changed after it was applied as \(existing.name) "
                            + "(recorded checksum \(existing.checksum.prefix(12)), file now \(checksum.prefix(12)))",
                        context: ["migration.file": file.name, "migration.version": "\(file.version)"])
                }
            } else {
                pending.append((file, checksum))
            }
        }
        let known = Set(files.map(\.version))
        for missing in recorded.values where !known.contains(missing.version) {
            logger.warning("applied migration has no file", metadata: ["migration.file": "\(missing.name)"])
        }
        var applied: [AppliedMigration] = []
        for (file, checksum) in pending {
            do {
                try session.executeScript(file.sql)
            } catch let error as PostgresError {
                throw file.failure(error)
            }
            guard session.isInTransaction else {
                throw PostgresError(
                    code: .invalidMigration,
                    message: "migration \(file.name) ended the transaction (BEGIN/COMMIT in the file?)",
                    context: ["migration.file": file.name])
            }
            let row = try session.execute(
                """
                INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)
                RETURNING version, name, checksum, applied_at
                """,
                [.int(file.version), .string(file.name), .string(checksum)])
            applied += try row.map(migration(from:))
        }
        return applied
    }

    private static func migration(from row: PostgresRow) throws -> AppliedMigration {
        AppliedMigration(
            version: try row.int("version") ?? 0, name: try row.string("name") ?? "",
            checksum: try row.string("checksum") ?? "", appliedAt: try row.date("applied_at") ?? .distantPast)
    }
}
