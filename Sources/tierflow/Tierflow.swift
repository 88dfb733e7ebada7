import ArgumentParser

@main
struct Tierflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow",
        abstract: "Tierflow: answer LLM queries at the lowest cost that still gives a good answer.",
        subcommands: [ConfigCommand.self, MigrateCommand.self, SetupCommand.self, KnowledgeBaseCommand.self, DemoCommand.self,
            GatewayCommand.self, RouterCommand.self, BatchCommand.self, StatusCommand.self, FaultsCommand.self]
    )
}
