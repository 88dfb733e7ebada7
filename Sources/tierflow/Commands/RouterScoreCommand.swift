import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowPipeline

/// `tierflow router score`: one JSON line of probabilities and a routing score per dataset line.
struct RouterScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Write {\"id\", \"p\": {model: probability}, \"score\"} for each line of a dataset.",
        discussion: "score = P(strongest acceptable) − P(cheapest acceptable) of the model's models: higher means more need for the strong one.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "A model file.")
    var model: String

    @Option(help: "A routing dataset (JSON Lines; scores may be empty objects).")
    var data: String

    @Option(help: "Where to write the JSON Lines ('-' for standard output).")
    var out: String

    @Option(help: "Score these heads instead of the model's models, cheapest first, comma-separated.")
    var models: String?

    @Flag(help: "Use the good lines of a dataset that has bad lines.")
    var skipBadLines = false

    func run() async throws {
        let logger = options.makeLogger(label: "tierflow.router")
        let model = try RouterModel.load(path: model)
        let heads = models.map { RouterCommandSupport.list($0) } ?? model.models
        let examples = try RouterScoreCommand.readQueries(data, skipBadLines: skipBadLines)
        let featurizer = try OwnedFeaturizer.forModel(model, logger: logger)
        let probabilities = try await RouterModelEvaluation.probabilities(
            model: model, featurizer: featurizer.featurizer, queries: examples.map(\.query), heads: heads)
        await featurizer.shutdown()
        var output = Data()
        for (example, row) in zip(examples, probabilities) {
            let line = ScoreLine(id: example.id, p: Dictionary(uniqueKeysWithValues: zip(heads, row)), score: RouterModel.strongPreference(row))
            output.append(try ScoreLine.encoder.encode(line))
            output.append(10)
        }
        if out == "-" {
            FileHandle.standardOutput.write(output)
        } else {
            try output.write(to: URL(fileURLWithPath: out), options: .atomic)
            RouterCommandSupport.standardError("scored \(examples.count) queries into \(out)")
        }
    }

    /// Dataset lines for scoring: like training data, but lines without scores are fine.
    static func readQueries(_ path: String, skipBadLines: Bool) throws -> [RoutingExample] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let result = RoutingDatasetReader(requireScores: false).parse(data, file: path)
        for error in result.errors.prefix(50) { RouterCommandSupport.standardError("\(error)") }
        if !result.errors.isEmpty && !skipBadLines {
            RouterCommandSupport.standardError("error: \(result.errors.count) bad line(s); nothing scored (--skip-bad-lines scores the rest)")
            throw ExitCode(1)
        }
        return result.examples
    }

    struct ScoreLine: Encodable {
        var id: String
        var p: [String: Double]
        var score: Double

        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return encoder
        }()
    }
}
