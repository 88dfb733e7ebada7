import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowPostgres

/// `tierflow migrate`: applies pending database migrations as the schema owner.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the pending migrations in one transaction (running it again changes nothing).")

    @OptionGroup var options: WorkerOptions

    @Option(help: "The folder of numbered SQL files.")
    var migrations: String = "migrations"

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.migrate")
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.ownerURL.value, applicationName: "tierflow-migrate"),
            logger: logger)
        defer { Task { await connection.close() } }
        let applied = try await Migrator(connection: connection, logger: logger)
            .migrate(directory: URL(fileURLWithPath: migrations, isDirectory: true))
        if applied.isEmpty {
            print("migrations: up to date")
        } else {
            for migration in applied { print("migrations: applied \(migration.name)") }
        }
        await connection.close()
    }
}
