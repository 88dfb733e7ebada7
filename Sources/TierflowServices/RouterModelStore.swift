import Foundation
import TierflowPipeline
import TierflowPostgres

/// Router models versioned in PostgreSQL (`router_models`): at most one active version at a time.
public struct RouterModelStore: Sendable {
    /// One stored version, without its weights.
    public struct Version: Sendable, Hashable {
        public var version: Int
        public var name: String
        public var active: Bool
        public var createdAt: Date
        /// The figures stored with it (held-back log loss, APGR, …).
        public var metrics: [String: Double]
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The active version's number, or nil when none is active.
    public func activeVersion() async throws -> Int? {
        try await connection.query("SELECT version FROM router_models WHERE active").first?.int("version")
    }

    /// The model stored as `version`.
    public func load(version: Int) async throws -> RouterModel {
        guard let row = try await connection.query(
            "SELECT model::text AS model FROM router_models WHERE version = $1", [.int(version)]).first,
            let text = try row.string("model")
        else {
            throw LearnedRouterError(.badModel, "router_models has no version \(version)")
        }
        do {
            return try await OffThreadWork.run { try RouterModel(jsonData: Data(text.utf8)) }
        } catch let error as LearnedRouterError {
            throw LearnedRouterError(error.code, "router_models version \(version): \(error.message)")
        }
    }

    /// The active model and its version, or nil when none is active.
    public func loadActive() async throws -> (version: Int, model: RouterModel)? {
        guard let version = try await activeVersion() else { return nil }
        return (version, try await load(version: version))
    }

    /// Stores `model` as a new version with `metrics`; when `activate`, it becomes the only active one
    /// in the same transaction. Returns the new version number.
    @discardableResult
    public func save(_ model: RouterModel, metrics: [String: Double], activate: Bool) async throws -> Int {
        let json = String(decoding: try model.jsonData(), as: UTF8.self)
        let metricsJSON = String(decoding: try JSONSerialization.data(withJSONObject: metrics.filter { $0.value.isFinite }, options: [.sortedKeys]), as: UTF8.self)
        var statements: [PostgresStatement] = []
        if activate { statements.append(PostgresStatement("UPDATE router_models SET active = false WHERE active")) }
        statements.append(PostgresStatement(
            "INSERT INTO router_models (name, model, metrics, active) VALUES ($1, $2::jsonb, $3::jsonb, $4) RETURNING version",
            [.string(model.name), .json(json), .json(metricsJSON), .bool(activate)]))
        let results = try await connection.transaction(statements)
        guard let version = try results.last?.first?.int("version") else {
            throw LearnedRouterError(.badModel, "router_models: the insert returned no version")
        }
        return version
    }

    /// Makes `version` the only active version; throws if it does not exist.
    public func activate(version: Int) async throws {
        let results = try await connection.transaction([
            PostgresStatement("UPDATE router_models SET active = false WHERE active AND version <> $1", [.int(version)]),
            PostgresStatement("UPDATE router_models SET active = true WHERE version = $1", [.int(version)]),
        ])
        guard results.last?.affectedRows == 1 else {
            throw LearnedRouterError(.badModel, "router_models has no version \(version)")
        }
    }

    /// Leaves no version active (routers fall back to their model file).
    public func deactivateAll() async throws {
        try await connection.execute("UPDATE router_models SET active = false WHERE active")
    }

    /// The newest versions first.
    public func list(limit: Int = 50) async throws -> [Version] {
        let rows = try await connection.query(
            "SELECT version, name, active, created_at, COALESCE(metrics::text, '{}') AS metrics FROM router_models ORDER BY version DESC LIMIT $1",
            [.int(limit)])
        return try rows.map { row in
            let metricsText = try row.string("metrics") ?? "{}"
            let object = (try? JSONSerialization.jsonObject(with: Data(metricsText.utf8))) as? [String: Any] ?? [:]
            return Version(
                version: try row.int("version") ?? 0, name: try row.string("name") ?? "", active: try row.bool("active") ?? false,
                createdAt: try row.date("created_at") ?? Date(timeIntervalSince1970: 0),
                metrics: object.compactMapValues { ($0 as? NSNumber)?.doubleValue })
        }
    }
}
