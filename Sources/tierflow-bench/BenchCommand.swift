import ArgumentParser

/// `tierflow-bench`: the benchmarks behind BENCHMARKS.md. Each is bounded in time and stops by itself.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tierflow-bench",
        abstract: "Tierflow's benchmarks (run them all with bench/run.sh).",
        subcommands: [RawChainBench.self, PipelineBench.self, HopLogBench.self, BatchBench.self])
}
