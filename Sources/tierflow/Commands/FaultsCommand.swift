import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowFaults

/// `tierflow faults`: the fault-injection suite (docs/faults.md). Run it through `scripts/faults.sh`, which
/// starts the separate broker and database it restarts and blocks.
struct FaultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults", abstract: "The fault-injection suite: nothing lost, nothing duplicated.",
        subcommands: [Run.self, List.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run fault scenarios under load and check the ledger; exits 1 unless every count is 0 and every check passes.")

        @OptionGroup var options: WorkerOptions

        @Flag(help: "The shortened form (CI): a representative subset, less load.")
        var quick = false

        @Option(name: .customLong("scenario"), help: "A scenario to run (repeatable); default all, or the quick subset.")
        var scenarios: [String] = []

        @Option(help: "Write the report here (Markdown).")
        var report: String?

        @Option(help: "Where the worker executables are (default: next to this one).")
        var binDir: String?

        @Option(help: "Logs of every scenario's workers go under this directory.")
        var logs: String = ".local/faults/logs"

        @Option(help: "The services script that stops and starts the suite's broker and database.")
        var servicesScript: String = "scripts/services.sh"

        @Option(help: "The scripted LLM API server (Python, stdlib only).")
        var llmServer: String = "Tests/Fixtures/llm_test_server.py"

        @Option(help: "Events per second of steady load (default 20, quick 15).")
        var rate: Double?

        @Option(help: "Seconds of load per scenario (default 15, quick 8).")
        var seconds: Int?

        func run() async throws {
            let config = try options.loadConfig()
            let logger = options.makeLogger(label: "tierflow.faults")
            let selected: [FaultScenario]
            do {
                selected = try FaultSuite.select(names: scenarios, quick: quick)
            } catch {
                throw ValidationError("\(error)")
            }
            let bin = binDir.map { URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            var suiteOptions = FaultSuite.Options(
                base: config, binDirectory: bin, servicesScript: servicesScript, llmServerScript: llmServer, sourceRoot: cwd,
                logDirectory: URL(fileURLWithPath: logs, relativeTo: cwd).standardizedFileURL, quick: quick)
            if let rate { suiteOptions.rate = rate }
            if let seconds { suiteOptions.duration = .seconds(seconds) }
            let suite = FaultSuite(options: suiteOptions, logger: logger)
            let result = try await suite.run(selected)
            print(result.summary)
            if let report {
                let command = "tierflow faults run" + (quick ? " --quick" : "") + scenarios.map { " --scenario \($0)" }.joined()
                try result.markdown(command: command).write(toFile: report, atomically: true, encoding: .utf8)
                print("wrote \(report)")
            }
            if !result.passed { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scenarios (* = in the quick subset).")

        func run() {
            for scenario in FaultScenario.all {
                print("\(scenario.quick ? "*" : " ") \(scenario.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(scenario.title)")
            }
        }
    }
}
