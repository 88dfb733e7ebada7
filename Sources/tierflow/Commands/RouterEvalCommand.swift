import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowPipeline

/// `tierflow router eval`: routing quality of a model on a labelled dataset, beside baselines.
struct RouterEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a labelled dataset beside random and prompt-length routing.",
        discussion: """
            Two models: APGR (exact, and at RouteLLM's 11 decile thresholds), CPT(50%) and CPT(80%).
            More: the cost–quality frontier and the cost to reach --target of the strongest model's quality, against
            every single model, random routing and the prompt-length baseline. Costs use --prices (USD per 1M
            tokens, input/output), prompt tokens ≈ UTF-8 bytes / 4 and --output-tokens per answer.
            """)

    @OptionGroup var options: WorkerOptions

    @Option(help: "A model file.")
    var model: String

    @Option(help: "A labelled routing dataset.")
    var data: String

    @Option(help: "Evaluate these heads instead of the model's models, cheapest first, comma-separated.")
    var models: String?

    @Option(help: "Prices per 1M tokens, e.g. \"m1=0.05/0.08,m2=0.6/0.8,m3=2.5/10\" (N-model evaluation).")
    var prices: String?

    @Option(help: "Output tokens assumed per answer, for costs.")
    var outputTokens: Double = 250

    @Option(help: "The share of the strongest model's quality to reach (N-model evaluation).")
    var target: Double = 0.95

    @Flag(help: "Use the good lines of a dataset that has bad lines.")
    var skipBadLines = false

    func run() async throws {
        let logger = options.makeLogger(label: "tierflow.router")
        let model = try RouterModel.load(path: model)
        let heads = models.map { RouterCommandSupport.list($0) } ?? model.models
        guard heads.count >= 2 else { throw ValidationError("evaluation needs at least two models") }
        let all = try RouterCommandSupport.readDatasets([data], skipBadLines: skipBadLines)
        let examples = all.filter { example in heads.allSatisfy { example.scores[$0] != nil } }
        guard examples.count >= 2 else { throw ValidationError("fewer than two lines have scores for all of \(heads.joined(separator: ", "))") }
        let featurizer = try OwnedFeaturizer.forModel(model, logger: logger)
        let probabilities = try await RouterModelEvaluation.probabilities(
            model: model, featurizer: featurizer.featurizer, queries: examples.map(\.query), heads: heads)
        await featurizer.shutdown()
        print("\(data): \(examples.count) queries with scores for every model (\(all.count - examples.count) skipped); model \(model.name)")
        let qualities = examples.map { example in heads.map { example.scores[$0]! } }
        for (column, head) in heads.enumerated() {
            print("  \(head): quality \(RouterCommandSupport.format(qualities.reduce(0) { $0 + $1[column] } / Double(examples.count)))")
        }
        let lengths = examples.map { $0.query.text.utf8.count }
        if heads.count == 2 {
            RouterEvaluationReport.twoModels(probabilities: probabilities, qualities: qualities, lengths: lengths)
        } else {
            let priceTable = try RouterCommandSupport.prices(prices ?? "")
            let missing = heads.filter { priceTable[$0] == nil }
            guard missing.isEmpty else { throw ValidationError("--prices has no price for \(missing.joined(separator: ", "))") }
            let costs = examples.map { example in
                heads.map { head in
                    let price = priceTable[head]!
                    return (Double(example.query.text.utf8.count) / 4 * price.input + outputTokens * price.output) / 1_000_000
                }
            }
            print("  prices per 1M tokens (input/output): " + heads.map { "\($0)=\(priceTable[$0]!.input)/\(priceTable[$0]!.output)" }.joined(separator: ", ")
                + "; \(Int(outputTokens)) output tokens per answer")
            RouterEvaluationReport.manyModels(
                heads: heads, probabilities: probabilities, qualities: qualities, costs: costs, lengths: lengths, target: target)
        }
    }
}
