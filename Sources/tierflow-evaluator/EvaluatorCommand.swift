import ArgumentParser
import TierflowCommandSupport
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
        var services = [context.runner(queue: context.topology.evaluatorQueue, handler: EvaluatorStage(config: config))]
        if deadLetters {
            services.append(context.runner(queue: context.topology.deadLetterQueue, handler: DeadLetterRecorder()))
        }
        try await context.run(services)
    }
}
