import ArgumentParser

/// `tierflow router …`: train, evaluate, calibrate and version the learned router.
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Train, score, evaluate, calibrate and version the learned router (all local; no prompt leaves the machine).",
        subcommands: [
            RouterTrainCommand.self, RouterScoreCommand.self, RouterEvalCommand.self, RouterCalibrateCommand.self,
            RouterActivateCommand.self, RouterListCommand.self, RouterBenchCommand.self,
        ])
}
