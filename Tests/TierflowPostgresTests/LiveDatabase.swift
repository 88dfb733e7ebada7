import Foundation
import Logging
import Testing

@testable import TierflowPostgres

/// Shared helpers for the live-database suites (gated by `TIERFLOW_LIVE_TESTS=1`).
enum LiveDatabase {
    static let isEnabled = ProcessInfo.processInfo.environment["TIERFLOW_LIVE_TESTS"] == "1"

    static var workerURL: String { environment("TIERFLOW_DATABASE_URL") }
    static var ownerURL: String { environment("TIERFLOW_DATABASE_OWNER_URL") }
    static let logger = Logger(label: "tierflow.postgres.tests")

    /// The repository's migrations directory.
    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations")

    /// The unix-socket directory of the project-local server (superuser access via peer auth).
    static var socketDirectory: String {
        if let socket = ProcessInfo.processInfo.environment["TIERFLOW_PG_SOCKET_DIR"], !socket.isEmpty { return socket }
        let state = ProcessInfo.processInfo.environment["TIERFLOW_STATE_DIR"]
            ?? migrationsDirectory.deletingLastPathComponent().appendingPathComponent(".local").path
        return state + "/postgres"
    }

    static func environment(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            Issue.record("\(name) is not set; run `eval \"$(scripts/services.sh env)\"` first")
            return ""
        }
        return value
    }

    /// A short random suffix for names that must not collide between runs and parallel tests.
    static func uniqueSuffix() -> String {
        String(UInt64.random(in: 0..<UInt64.max), radix: 36)
    }

    static func configuration(url: String, application: String = "tierflow-tests") -> PostgresConfiguration {
        PostgresConfiguration(
            url: url, applicationName: application,
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(500)))
    }

    static func connect(url: String, application: String = "tierflow-tests") async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: configuration(url: url, application: application), logger: logger)
    }

    /// Migrates the shared `tierflow` database as the owner (idempotent; concurrent callers serialise).
    static func migrateSharedDatabase() async throws {
        let owner = try await connect(url: ownerURL, application: "tierflow-tests-migrate")
        defer { Task { await owner.close() } }
        _ = try await Migrator(connection: owner, logger: logger).migrate(directory: migrationsDirectory)
    }

    /// `url` pointing at database `name` instead.
    static func url(_ url: String, database name: String) -> String {
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return components.string!
    }

    /// Runs SQL as the `postgres` superuser through psql on the unix socket; returns trimmed stdout.
    @discardableResult
    static func superuser(_ sql: String, database: String = "tierflow") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = [
            "-u", "postgres", "--", "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", socketDirectory, "-p", ProcessInfo.processInfo.environment["TIERFLOW_PG_PORT"] ?? "5499",
            "-d", database, "-c", sql,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PostgresError(code: .serverError, message: "psql failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Terminates every backend whose application_name is `application` and waits until they are gone;
    /// returns how many were signalled.
    @discardableResult
    static func terminateBackends(application: String) throws -> Int {
        let output = try superuser(
            "SELECT count(pg_terminate_backend(pid, 2000)) FROM pg_stat_activity WHERE application_name = '\(application)'")
        return Int(output) ?? 0
    }

    /// Deletes every row the tests wrote for query ids starting with `prefix` (as the owner).
    static func deleteRows(queryIdPrefix prefix: String) async throws {
        let owner = try await connect(url: ownerURL, application: "tierflow-tests-cleanup")
        defer { Task { await owner.close() } }
        let pattern = PostgresValue.string(prefix + "%")
        _ = try await owner.transaction([
            PostgresStatement("DELETE FROM hops WHERE query_id LIKE $1", [pattern]),
            PostgresStatement("DELETE FROM queries WHERE id LIKE $1", [pattern]),
            PostgresStatement("DELETE FROM results WHERE query_id LIKE $1", [pattern]),
            PostgresStatement("DELETE FROM dead_letters WHERE query_id LIKE $1 OR message_id LIKE $1", [pattern]),
        ])
    }
}
