import ArgumentParser
import Foundation
import TierflowCore

/// `tierflow config check [FILE]`: validates a pipeline configuration and summarises it.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with pipeline.yaml.",
        subcommands: [Check.self, Tiers.self]
    )

    struct Tiers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the tier names, cheapest first, one a line.")

        @Argument(help: "The configuration file.")
        var file: String = "pipeline.yaml"

        func run() async throws {
            let config = try ConfigCommand.load(file)
            for tier in config.tiers { print(tier.name) }
        }
    }

    /// Loads `file`, or prints its first error (file, line, key) and exits with status 2.
    static func load(_ file: String) throws -> PipelineConfig {
        do {
            return try PipelineConfig.load(path: file)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a pipeline configuration; errors name the file, line and key.")

        @Argument(help: "The configuration file.")
        var file: String = "pipeline.yaml"

        func run() async throws {
            let config = try ConfigCommand.load(file)
            print("\(file): valid")
            print("  broker    \(config.broker.url)")
            print("  database  \(config.database.url)")
            for (index, tier) in config.tiers.enumerated() {
                let backend = tier.isSimulated ? "simulated (no endpoint set)" : "\(tier.backend.rawValue) \(tier.endpoint)"
                let price = String(format: "$%.2f/$%.2f", tier.price.inputPerMillion, tier.price.outputPerMillion)
                print("  tier \(index + 1)    \(tier.name): \(backend), model \(tier.model), \(price) per 1M tokens in/out, confidence threshold \(tier.confidenceThreshold)")
            }
        }
    }
}
