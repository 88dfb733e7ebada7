import Foundation
import Logging
import ServiceLifecycle
import TierflowPipeline
import TierflowPostgres

/// Loads the knowledge base from `kb_entries` at start and reloads it periodically.
public final class KnowledgeBaseLoader: Service, Sendable {
    private let knowledge: KnowledgeBase
    private let configuration: PostgresConfiguration
    private let interval: Duration
    private let logger: Logger

    public init(knowledge: KnowledgeBase, configuration: PostgresConfiguration, interval: Duration = .seconds(5), logger: Logger) {
        self.knowledge = knowledge
        self.configuration = configuration
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.poll() }
    }

    private func poll() async throws {
        var connection: PostgresConnection?
        defer { if let connection { Task { await connection.close() } } }
        while !Task.isCancelled {
            do {
                if connection == nil {
                    connection = try await PostgresConnection.connect(configuration: configuration, logger: logger)
                }
                let entries = try await Self.load(from: connection!)
                if entries.count != knowledge.count { logger.info("knowledge base loaded", metadata: ["kb.entries": "\(entries.count)"]) }
                knowledge.replaceAll(entries)
            } catch {
                logger.warning("knowledge base reload failed; keeping the loaded entries", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Every entry that is still valid.
    public static func load(from connection: PostgresConnection) async throws -> [KnowledgeEntry] {
        let rows = try await connection.query(
            """
            SELECT key, kind, fault_code, asset_class, tag, question, answer, source, valid_until
            FROM kb_entries WHERE valid_until IS NULL OR valid_until > now()
            """)
        return try rows.map { row in
            KnowledgeEntry(
                key: try row.string("key") ?? "", kind: try row.string("kind") ?? "kb", faultCode: try row.string("fault_code"),
                assetClass: try row.string("asset_class"), tag: try row.string("tag"), question: try row.string("question") ?? "",
                answer: try row.string("answer") ?? "", source: try row.string("source"), validUntil: try row.date("valid_until"))
        }
    }
}
