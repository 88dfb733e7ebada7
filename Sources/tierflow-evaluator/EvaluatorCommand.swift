import ArgumentParser
import TierflowCommandSupport
import TierflowPostgres
import TierflowServices

/// `tierflow-evaluator`: scores answers, escalates or finalises; also records dead letters.
@main
struct EvaluatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow-evaluator",
        abstract: "Score each answer: a confident one becomes the result, a doubtful one goes to the next tier.")

    @OptionGroup var options: WorkerOptions

    @Flag(inversion: .prefixedNo, help: "Also record messages that reach the dead-letter queue.")
    var deadLetters = true

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.evaluator")
        let context = try await WorkerContext.connect(config: config, process: "evaluator", logger: logger)
        // Layer 0's cache write-back (idle when layer0.cache.enabled is false: nothing is offered to it).
        let cache = Layer0CacheWriter(
            configuration: PostgresConfiguration(url: config.database.url.value, applicationName: "tierflow-evaluator-cache"),
            logger: logger)
        let evaluator = context.runner(queue: context.topology.evaluatorQueue, handler: EvaluatorStage(config: config, cache: cache))
        if deadLetters {
            try await context.run([evaluator, cache, context.runner(queue: context.topology.deadLetterQueue, handler: DeadLetterRecorder())])
        } else {
            try await context.run([evaluator, cache])
        }
    }
}
