import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// `tierflow kb …`: manage Layer 0's knowledge base.
struct KnowledgeBaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb", abstract: "Manage the knowledge base Layer 0 answers from.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import entries from CSV or JSON Lines (fault_code, asset_class, tag, question, answer, source, valid_until); upsert by key.")

        @OptionGroup var options: WorkerOptions

        @Argument(help: "A .csv or .jsonl file.")
        var file: String

        @Flag(help: "Import the good lines even when some lines are bad.")
        var skipBadLines = false

        func run() async throws {
            let config = try options.loadConfig()
            let logger = options.makeLogger(label: "tierflow.kb")
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
            let connection = try await PostgresConnection.connect(
                configuration: PostgresConfiguration(url: config.database.ownerURL.value, applicationName: "tierflow-kb"),
                logger: logger)
            let written = try await KnowledgeBaseStore(connection: connection).upsert(parsed.entries)
            await connection.close()
            print("kb: imported \(written) entries from \(file)\(parsed.errors.isEmpty ? "" : " (\(parsed.errors.count) bad lines skipped)")")
        }
    }
}
