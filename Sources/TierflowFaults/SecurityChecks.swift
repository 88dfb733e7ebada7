import Foundation
import Logging
import TierflowCore
import TierflowPostgres

/// The security checks of the suite: least-privilege roles, payload limits, SQL built from parameters,
/// and no secret in any log or in the hop log.
public enum SecurityChecks {
    /// Statements a worker role must not be able to run.
    static let forbidden = [
        "DROP TABLE results", "DROP TABLE hops", "TRUNCATE hops", "DELETE FROM results",
        "ALTER TABLE hops ADD COLUMN faults_probe integer", "CREATE TABLE faults_probe (x integer)",
        "DROP TABLE dead_letters",
    ]
    // Not GRANT: PostgreSQL answers a grant by a non-owner with a warning ("no privileges were granted"),
    // not an error, so it cannot be told apart by outcome.

    /// Runs under load: roles of the live connections, what the worker role may do, the payload limit.
    static var scenario: FaultScenario {
        var scenario = FaultScenario(
            name: "security", title: "worker roles under load: forbidden DDL/DML as the worker role, live connection roles, payload limit",
            quick: true
        ) { context in
            context.faultStarted()
            try await checkDatabaseRoles(context)
            try await checkBrokerUsers(context)
            // One byte over the limit: dead-lettered with a reason (the ledger expects it by id).
            let limit = context.config.queues.maxMessageBytes
            try await context.load.publishPoison(
                Array(repeating: UInt8(ascii: " "), count: limit + 1), messageId: "poison-\(context.runTag)-oversize")
            context.note("payload limit \(limit) bytes: a message of \(limit + 1) bytes is expected as a dead letter")
            context.faultEnded()
        }
        scenario.faultAt = 0.4
        scenario.verify = { context in
            let rows = try await context.database.query(
                "SELECT reason FROM dead_letters WHERE message_id = $1", [.string("poison-\(context.runTag)-oversize")])
            let reason = try rows.first?.string("reason") ?? ""
            context.note("oversize message: \(reason.isEmpty ? "NOT dead-lettered" : "dead-lettered: \(reason)")")
            return reason.contains("limit") ? [] : ["the oversize message was not dead-lettered for its size"]
        }
        return scenario
    }

    /// As the worker role: every forbidden statement fails with insufficient_privilege (42501) or
    /// must-be-owner. Live connections of the workers use the worker role.
    static func checkDatabaseRoles(_ context: ScenarioContext) async throws {
        let workerURL = context.config.database.url.value
        let workerRole = user(of: workerURL) ?? "?"
        let worker = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: workerURL, applicationName: "faults-privilege-probe"), logger: context.logger)
        var denied: [String] = []
        for statement in forbidden {
            do {
                // Inside a transaction that is always rolled back, in case the role could.
                try await worker.simpleExecute("BEGIN; \(statement); ROLLBACK")
                context.fail("the worker role \(workerRole) could run: \(statement)")
            } catch let error as PostgresError {
                try? await worker.simpleExecute("ROLLBACK")
                if error.sqlState == "42501" {
                    denied.append("`\(statement)`")
                } else {
                    context.fail("\(statement) as \(workerRole) failed, but not for privileges: \(error)")
                }
            }
        }
        await worker.close()
        context.note("as \(workerRole), denied (42501): \(denied.joined(separator: ", "))")

        let sessions = try await context.database.query(
            """
            SELECT usename::text AS role, application_name AS app FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'tierflow-%'
            """)
        var roles: [String: Int] = [:]
        for row in sessions { roles[try row.string("role") ?? "?", default: 0] += 1 }
        context.note("worker database sessions by role: " + roles.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if sessions.isEmpty { context.fail("no worker database sessions found") }
        if roles.keys.contains(where: { $0 != workerRole }) { context.fail("worker sessions under roles other than \(workerRole): \(roles)") }
    }

    /// The workers' broker connections authenticate as the worker user.
    static func checkBrokerUsers(_ context: ScenarioContext) async throws {
        let workerUser = user(of: context.config.broker.url.value) ?? "?"
        let listing = try await context.services.rabbitmqctl(["-q", "list_connections", "user", "client_properties"])
        var users: [String: Int] = [:]
        for line in listing.split(separator: "\n") {
            let processes = ["tierflow-layer0-", "tierflow-router-", "tierflow-evaluator-", "tierflow-worker-"]
            guard processes.contains(where: { line.contains($0) }) else { continue }
            let user = String(line.split(separator: "\t").first ?? "?")
            users[user, default: 0] += 1
        }
        context.note("worker broker connections by user: " + users.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if users.isEmpty { context.fail("no worker broker connections found") }
        if users.keys.contains(where: { $0 != workerUser }) { context.fail("worker broker connections as users other than \(workerUser): \(users)") }
    }

    /// The user name of `scheme://user:password@host…`.
    static func user(of url: String) -> String? {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return nil }
        let info = url[scheme.upperBound..<at]
        return String(info.split(separator: ":", maxSplits: 1).first ?? "").removingPercentEncoding
    }

    /// The password of `scheme://user:password@host…`.
    static func password(of url: String) -> String? {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return nil }
        let parts = url[scheme.upperBound..<at].split(separator: ":", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]).removingPercentEncoding : nil
    }

    /// What the secret scan found.
    public struct SecretScan: Sendable {
        /// Names of the secrets looked for (never their values).
        public var secrets: [String]
        public var filesScanned: Int
        public var bytesScanned: Int
        /// "secret name in place" for each hit.
        public var hits: [String]
        public var tablesScanned: [String]
    }

    /// Looks for each secret's value in every `*.log` under `logs` and in the text of the hop log tables.
    static func scanForSecrets(_ secrets: [String: String], logs: URL, database: PostgresConnection) async throws -> SecretScan {
        let secrets = secrets.filter { $0.value.count >= 8 }
        var scan = SecretScan(secrets: secrets.keys.sorted(), filesScanned: 0, bytesScanned: 0, hits: [], tablesScanned: [])
        if let enumerator = FileManager.default.enumerator(at: logs, includingPropertiesForKeys: nil) {
            for case let url as URL in enumerator where url.pathExtension == "log" {
                guard let data = FileManager.default.contents(atPath: url.path) else { continue }
                scan.filesScanned += 1
                scan.bytesScanned += data.count
                let text = String(decoding: data, as: UTF8.self)
                for (name, value) in secrets where text.contains(value) {
                    scan.hits.append("\(name) in \(url.lastPathComponent)")
                }
            }
        }
        let tables: [(String, String)] = [
            ("hops", "SELECT count(*)::int AS n FROM hops WHERE strpos(concat_ws(' ', query_id, worker, decision, model, error, detail::text, output::text), $1) > 0"),
            ("results", "SELECT count(*)::int AS n FROM results WHERE strpos(concat_ws(' ', answer, model, history::text), $1) > 0"),
            ("dead_letters", "SELECT count(*)::int AS n FROM dead_letters WHERE strpos(concat_ws(' ', reason, headers::text, encode(body, 'escape')), $1) > 0"),
            ("queries", "SELECT count(*)::int AS n FROM queries WHERE strpos(payload::text, $1) > 0"),
        ]
        for (table, sql) in tables {
            scan.tablesScanned.append(table)
            for (name, value) in secrets {
                let rows = try await database.query(sql, [.string(value)])
                let count = try rows.first?.int("n") ?? 0
                if count > 0 { scan.hits.append("\(name) in \(count) \(table) rows") }
            }
        }
        return scan
    }
}
