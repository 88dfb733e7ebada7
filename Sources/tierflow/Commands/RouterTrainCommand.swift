import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowCore
import TierflowHTTP
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// `tierflow router train`: learn a success model from datasets or from the hop log.
struct RouterTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a router model from routing datasets (--data) or from the hop log (--from-log).",
        discussion: """
            Datasets are JSON Lines with id, prompt and scores (model → quality in [0, 1]). From the hop log, an
            evaluator acceptance at a tier is a positive for it, an escalation followed by an acceptance a negative,
            and explicit feedback overrides both. Reports train and held-back (and --dev) figures; --activate stores
            the model and makes it live unless it is worse than the active model on the held-back data.
            """)

    @OptionGroup var options: WorkerOptions
    @OptionGroup var hyper: RouterTrainingFlags

    @Option(name: .customLong("data"), help: "A routing dataset (JSON Lines); repeat for more.")
    var data: [String] = []

    @Flag(help: "Learn from the hop log: evaluator decisions and feedback, with the configuration's tiers as models.")
    var fromLog = false

    @Option(help: "With --from-log: how far back, in hours.")
    var sinceHours: Double = 24 * 30

    @Option(help: "With --from-log: at most this many queries.")
    var limit: Int = 200_000

    @Option(help: "The models to route between, cheapest first, comma-separated (default with --from-log: the tiers).")
    var models: String?

    @Option(name: .customLong("dev"), help: "A dataset to report figures on (and compare against the active model); repeatable.")
    var dev: [String] = []

    @Option(help: "Where to write the model file.")
    var out: String?

    @Option(help: "The model's name (default: from the models and the date).")
    var name: String?

    @Flag(help: "Store the model as a new version and make it live, unless it is worse than the active one on held-back data.")
    var activate = false

    @Flag(help: "With --activate: activate even if the active model is better on held-back data.")
    var force = false

    @Flag(help: "Use the good lines of datasets that have bad lines.")
    var skipBadLines = false

    @Option(help: "Only cross-validate: K folds over the training data (for tuning), then stop.")
    var crossValidate: Int?

    @Option(help: "With --cross-validate: measure only on this dataset's examples (train on all).")
    var crossValidateOn: String?

    func run() async throws {
        let logger = options.makeLogger(label: "tierflow.router")
        var config: PipelineConfig?
        var examples: [RoutingExample] = []
        var dataNames = data
        if fromLog || activate { config = try options.loadConfig() }
        if fromLog, let config {
            let connection = try await RouterDatabase.connect(config: config, logger: logger)
            let since = Date().addingTimeInterval(-sinceHours * 3600)
            examples += try await RouterTrafficLog(connection: connection).labelledExamples(since: since, limit: limit)
            await connection.close()
            dataNames.append("hop-log")
            print("hop log: \(examples.count) labelled queries since \(ISO8601DateFormatter().string(from: since))")
        }
        examples += try RouterCommandSupport.readDatasets(data, skipBadLines: skipBadLines)
        guard !examples.isEmpty else { throw ValidationError("no training examples (give --data FILE or --from-log)") }
        let routed = models.map { RouterCommandSupport.list($0) } ?? (fromLog ? config?.tiers.map(\.name) ?? [] : [])
        guard !routed.isEmpty else { throw ValidationError("name the models to route between with --models M1,M2[,M3…] (cheapest first)") }
        let devExamples = try RouterCommandSupport.readDatasets(dev, skipBadLines: skipBadLines)

        let trainingOptions = try hyper.trainingOptions()
        let trainer = try SuccessModelTrainer(options: trainingOptions)
        let featurizer = try hyper.featurizer(logger: logger)
        if let crossValidate {
            try await RouterCrossValidation(folds: crossValidate, options: trainingOptions, models: routed, measureOn: crossValidateOn)
                .run(examples)
            return
        }
        let modelName = name ?? "\(routed.last ?? "router")-\(ISO8601DateFormatter().string(from: Date()).prefix(10))"
        let started = ContinuousClock.now
        var outcome = try await trainer.train(
            examples: examples, models: routed, featurizer: featurizer.featurizer, name: modelName, dataNames: dataNames)
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        print("trained \(modelName) on \(outcome.trained.count) examples (\(outcome.heldBack.count) held back) in "
            + String(format: "%.1f s, %d iterations", seconds, outcome.iterations))

        var metrics = outcome.model.training?.metrics ?? [:]
        metrics["train.seconds"] = seconds
        let heads = routed
        metrics.merge(try await RouterModelEvaluation.summary(
            model: outcome.model, featurizer: featurizer.featurizer, examples: outcome.trained, heads: heads, prefix: "train"), uniquingKeysWith: { $1 })
        metrics.merge(try await RouterModelEvaluation.summary(
            model: outcome.model, featurizer: featurizer.featurizer, examples: outcome.heldBack, heads: heads, prefix: "held_back"), uniquingKeysWith: { $1 })
        metrics.merge(try await RouterModelEvaluation.summary(
            model: outcome.model, featurizer: featurizer.featurizer, examples: devExamples, heads: heads, prefix: "dev"), uniquingKeysWith: { $1 })
        outcome.model.training?.metrics = metrics
        for key in metrics.keys.sorted() { print("  \(key): \(RouterCommandSupport.format(metrics[key], 4))") }

        if let out {
            try outcome.model.save(path: out)
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            print("wrote \(out) (\(size / 1024) KiB)")
        }
        if activate, let config {
            let comparison = devExamples.isEmpty ? outcome.heldBack : devExamples
            try await RouterActivation(config: config, logger: logger).activate(
                outcome.model, metrics: metrics, comparedOn: comparison, force: force, httpClient: featurizer.httpClient)
        }
        await featurizer.shutdown()
    }
}
