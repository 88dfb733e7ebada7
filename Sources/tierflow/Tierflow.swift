import ArgumentParser

@main
struct Tierflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tierflow: cost-aware multi-tier LLM query pipeline.")
}
