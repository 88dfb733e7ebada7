import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowGateway
import TierflowPostgres

/// `tierflow gateway key create|list|revoke`: the gateway's API keys (stored as SHA-256 hashes).
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "Manage tierflow-gateway, the OpenAI-compatible HTTP endpoint.",
        subcommands: [Key.self])

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list and revoke API keys.", subcommands: [Create.self, List.self, Revoke.self])
    }

    /// Opens the database as the schema owner (like the other administrative commands).
    static func store(_ options: WorkerOptions) async throws -> (PostgresGatewayStore, PostgresConnection) {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.gateway-keys")
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.ownerURL.value, applicationName: "tierflow-gateway-keys"),
            logger: logger)
        return (PostgresGatewayStore(connection: connection), connection)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it once (only its SHA-256 is stored).")

        @OptionGroup var options: WorkerOptions

        @Option(help: "A name to recognise the key by.")
        var name: String

        @Option(help: "Requests per minute (default: gateway.rate_limit_per_minute; 0: unlimited).")
        var rateLimitPerMinute: Int?

        @Option(help: "Spend per UTC day in USD (default: gateway.daily_budget_usd; 0: unlimited).")
        var dailyBudgetUsd: Double?

        func validate() throws {
            if let rate = rateLimitPerMinute, rate < 0 { throw ValidationError("--rate-limit-per-minute must be 0 or more") }
            if let budget = dailyBudgetUsd, !(budget >= 0) { throw ValidationError("--daily-budget-usd must be 0 or more") }
        }

        func run() async throws {
            let (store, connection) = try await GatewayCommand.store(options)
            let (key, record) = APIKeyRecord.generate(name: name, rateLimitPerMinute: rateLimitPerMinute, dailyBudgetUSD: dailyBudgetUsd)
            try await store.insertKey(record)
            await connection.close()
            print("id:  \(record.id)")
            print("key: \(key)")
            print("Store the key now: it is not shown again. Gateways pick it up within gateway.key_refresh_seconds.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (ids, names, limits; never the keys).")

        @OptionGroup var options: WorkerOptions

        func run() async throws {
            let (store, connection) = try await GatewayCommand.store(options)
            let keys = try await store.loadKeys()
            let spend = try await store.loadSpend(day: SpendLedger.day(of: Date()))
            await connection.close()
            print("id\tname\tprefix\trate/min\tbudget/day\tspent today\tcreated\tstatus")
            for key in keys {
                let rate = key.rateLimitPerMinute.map(String.init) ?? "default"
                let budget = key.dailyBudgetUSD.map { String(format: "$%.4f", $0) } ?? "default"
                let spent = String(format: "$%.6f", spend[key.id] ?? 0)
                let created = ISO8601DateFormatter().string(from: key.createdAt)
                print("\(key.id)\t\(key.name)\t\(key.prefix)…\t\(rate)\t\(budget)\t\(spent)\t\(created)\t\(key.disabled ? "revoked" : "active")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id; gateways refuse it within gateway.key_refresh_seconds.")

        @OptionGroup var options: WorkerOptions

        @Argument(help: "The key's id (key_…).")
        var id: String

        func run() async throws {
            let (store, connection) = try await GatewayCommand.store(options)
            let found = try await store.revokeKey(id: id)
            await connection.close()
            guard found else {
                FileHandle.standardError.write(Data("error: no key with id \(id)\n".utf8))
                throw ExitCode(1)
            }
            print("revoked \(id)")
        }
    }
}
