import ArgumentParser
import Foundation
import Logging
import TierflowCommandSupport
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// `tierflow kb …`: manage Layer 0's knowledge base and answer cache.
struct KnowledgeBaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb", abstract: "Manage the knowledge base and answer cache Layer 0 answers from.",
        subcommands: [
            Import.self, List.self, Show.self, Delete.self, Invalidate.self, Promote.self, KnowledgeBaseEvalCommand.self,
            KnowledgeBaseBenchCommand.self,
        ])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import entries from CSV or JSON Lines (fault_code, asset_class, tag, asset, question or title, answer, source, valid_until); upsert by key.")

        @OptionGroup var options: WorkerOptions

        @Argument(help: "A .csv or .jsonl file.")
        var file: String

        @Flag(help: "Import the good lines even when some lines are bad.")
        var skipBadLines = false

        func run() async throws {
            let config = try options.loadConfig()
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read \(file) as UTF-8 text")
            }
            let parsed = KnowledgeFileParser().parse(text, csv: file.lowercased().hasSuffix(".csv"))
            for error in parsed.errors {
                FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
            }
            if !parsed.errors.isEmpty && !skipBadLines {
                FileHandle.standardError.write(Data("error: \(parsed.errors.count) bad line(s); nothing imported (use --skip-bad-lines to import the rest)\n".utf8))
                throw ExitCode(1)
            }
            let connection = try await KnowledgeBaseCommand.connect(config, options)
            let written = try await KnowledgeBaseStore(connection: connection).upsert(parsed.entries)
            await connection.close()
            let unchanged = parsed.entries.count - written
            print("kb: imported \(written) entries from \(file)\(unchanged > 0 ? " (\(unchanged) unchanged)" : "")\(parsed.errors.isEmpty ? "" : " (\(parsed.errors.count) bad lines skipped)")")
        }
    }

    /// A connection as the schema owner (the CLI edits and deletes; workers may not delete).
    static func connect(_ config: PipelineConfig, _ options: WorkerOptions) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.ownerURL.value, applicationName: "tierflow-kb"),
            logger: options.makeLogger(label: "tierflow.kb"))
    }

    /// One line per entry: key, kind, fault code, asset, validity, question.
    static func line(_ entry: KnowledgeEntry) -> String {
        let scope = [entry.faultCode, entry.assetClass, entry.tag, entry.asset].compactMap { $0 }.joined(separator: "/")
        let until = entry.validUntil.map { " until \(Timestamp.format($0))" } ?? ""
        let question = entry.question.replacingOccurrences(of: "\n", with: " ")
        return "\(entry.key)  [\(entry.kind)\(scope.isEmpty ? "" : " \(scope)")\(until)]  \(question.prefix(80))"
    }
}
