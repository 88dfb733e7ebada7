import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowCore
import TierflowPipeline
import TierflowServices

extension KnowledgeBaseCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries (key, kind, fault code / asset, validity, question).")

        @OptionGroup var options: WorkerOptions

        @Option(help: "Only `kb` (curated) or `cache` entries.")
        var kind: String?

        @Option(help: "Only entries with this fault code.")
        var faultCode: String?

        @Option(help: "At most this many.")
        var limit = 100

        func run() async throws {
            let connection = try await KnowledgeBaseCommand.connect(try options.loadConfig(), options)
            let entries = try await KnowledgeBaseStore(connection: connection).list(kind: kind, faultCode: faultCode, limit: limit)
            await connection.close()
            for entry in entries { print(KnowledgeBaseCommand.line(entry)) }
            if entries.count == limit { print("(first \(limit); use --limit for more)") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one entry in full, with the guards Layer 0 compares.")

        @OptionGroup var options: WorkerOptions

        @Argument(help: "The entry's key.")
        var key: String

        func run() async throws {
            let connection = try await KnowledgeBaseCommand.connect(try options.loadConfig(), options)
            let entry = try await KnowledgeBaseStore(connection: connection).entry(key: key)
            await connection.close()
            guard let entry else {
                FileHandle.standardError.write(Data("error: no entry \(key)\n".utf8))
                throw ExitCode(1)
            }
            let fields: [(String, String?)] = [
                ("key", entry.key), ("kind", entry.kind), ("fault_code", entry.faultCode), ("asset_class", entry.assetClass),
                ("tag", entry.tag), ("asset", entry.asset), ("source", entry.source), ("derived_from", entry.derivedFrom),
                ("valid_until", entry.validUntil.map(Timestamp.format)),
                ("guards", Layer0Analyzer().signature(of: entry).guards.description), ("question", entry.question),
                ("answer", entry.answer),
            ]
            for (name, value) in fields { if let value { print("\(name): \(value)") } }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an entry by key (deleting a curated entry also deletes the cache entries derived from it).")

        @OptionGroup var options: WorkerOptions

        @Argument(help: "The entry's key.")
        var key: String

        func run() async throws {
            let connection = try await KnowledgeBaseCommand.connect(try options.loadConfig(), options)
            let deleted = try await KnowledgeBaseStore(connection: connection).delete(key: key)
            await connection.close()
            guard deleted else {
                FileHandle.standardError.write(Data("error: no entry \(key)\n".utf8))
                throw ExitCode(1)
            }
            print("kb: deleted \(key)")
        }
    }

    struct Invalidate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete cache entries (never curated ones) by fault code and/or asset; running Layer 0 processes drop them at once.")

        @OptionGroup var options: WorkerOptions

        @Option(help: "Cache entries for this fault code.")
        var faultCode: String?

        @Option(help: "Cache entries for this asset id (P-101) or asset class (pump).")
        var asset: String?

        @Flag(help: "Only entries whose time to live has passed.")
        var expired = false

        @Flag(help: "Every cache entry (when no other filter is given).")
        var all = false

        func validate() throws {
            if faultCode == nil && asset == nil && !expired && !all {
                throw ValidationError("name --fault-code, --asset, --expired or --all")
            }
        }

        func run() async throws {
            let connection = try await KnowledgeBaseCommand.connect(try options.loadConfig(), options)
            let count = try await KnowledgeBaseStore(connection: connection).invalidate(
                .init(faultCode: faultCode, asset: asset, expiredOnly: expired))
            await connection.close()
            print("kb: invalidated \(count) cache entr\(count == 1 ? "y" : "ies")")
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a query's result (or the corrected answer in its feedback) into a cache entry.",
            discussion: "Without --force the result must have positive feedback, or clear layer0.cache.min_confidence and not be simulated.")

        @OptionGroup var options: WorkerOptions

        @Option(help: "The query id.")
        var query: String?

        @Flag(help: "Every query with positive or corrected feedback not promoted yet.")
        var feedback = false

        @Flag(help: "Promote even a result below the confidence bar (never a simulated one unless allowed).")
        var force = false

        func validate() throws {
            if (query == nil) == !feedback { throw ValidationError("name --query ID or --feedback") }
        }

        func run() async throws {
            let config = try options.loadConfig()
            let connection = try await KnowledgeBaseCommand.connect(config, options)
            let promotion = KnowledgeBasePromotion(connection: connection, policy: CacheWritePolicy(config.layer0.cache))
            if let query {
                do {
                    let entry = try await promotion.promote(queryId: query, force: force)
                    await connection.close()
                    print("kb: promoted \(query) → \(KnowledgeBaseCommand.line(entry))")
                } catch let error as KnowledgeBaseError {
                    await connection.close()
                    FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                    throw ExitCode(1)
                }
            } else {
                let entries = try await promotion.promotePositiveFeedback()
                await connection.close()
                for entry in entries { print("kb: promoted \(KnowledgeBaseCommand.line(entry))") }
                print("kb: promoted \(entries.count) quer\(entries.count == 1 ? "y" : "ies") with positive feedback")
            }
        }
    }
}
