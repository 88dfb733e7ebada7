import ArgumentParser
import Foundation
import Logging
import TierflowCore
import TierflowHTTP
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// Opens the database for the router commands (as the schema owner, like the other admin commands).
enum RouterDatabase {
    static func connect(config: PipelineConfig, logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.ownerURL.value, applicationName: "tierflow-router-admin"),
            logger: logger)
    }
}

/// Runs ``RouterModelActivator`` for the CLI and prints what happened.
struct RouterActivation {
    let config: PipelineConfig
    let logger: Logger

    /// Stores and activates `model` unless it is worse than the active one on `examples`; exits 1 if refused.
    func activate(
        _ model: RouterModel, metrics: [String: Double], comparedOn examples: [RoutingExample], force: Bool,
        httpClient: HTTPClient?
    ) async throws {
        let connection = try await RouterDatabase.connect(config: config, logger: logger)
        let outcome: RouterModelActivator.Outcome
        do {
            outcome = try await RouterModelActivator(store: RouterModelStore(connection: connection)).activate(
                model, metrics: metrics, heldBack: examples, force: force, httpClient: httpClient)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        switch outcome {
        case .activated(let version, let comparison):
            if let comparison { print(Self.describe(comparison)) }
            print("stored as version \(version) and activated; running routers switch within their reload interval")
        case .refused(let active, let comparison):
            print(Self.describe(comparison) + " (active: v\(active))")
            RouterCommandSupport.standardError(
                "error: not activated: the new model is worse than active version \(active) on held-back data (--force activates anyway)")
            throw ExitCode(1)
        }
    }

    static func describe(_ comparison: RouterModelComparison) -> String {
        String(
            format: "held-back log loss on %d labels of %@: new %.4f, active %.4f", comparison.pairs,
            comparison.heads.joined(separator: ", "), comparison.candidateLoss, comparison.incumbentLoss)
    }
}
