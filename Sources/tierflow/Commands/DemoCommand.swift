import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowServices

/// `tierflow demo`: publishes the sample and prints what answered each query, at what cost.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Publish sample SCADA events and operator questions; print who answered, confidence, cost and latency.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "JSON Lines of {\"type\", \"message_id\", \"body\"}.")
    var events: String = "examples/demo-events.jsonl"

    @Option(help: "Seconds to wait for the last result.")
    var timeout: Int = 180

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.demo")
        // A fresh run id, so running the demo again is not answered as a repeat of the last run.
        let runId = "run\(Int(Date().timeIntervalSince1970))"
        let messages = try DemoMessage.load(path: events, runId: runId)
        let report = try await DemoRunner(config: config, logger: logger).run(messages: messages, timeout: .seconds(timeout))
        print(report.render())
        if !report.missing.isEmpty { throw ExitCode(1) }
    }
}
