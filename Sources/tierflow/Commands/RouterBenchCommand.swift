import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowPipeline

#if canImport(Glibc)
import Glibc
#endif

/// `tierflow router bench`: featurise + score latency per query on one thread.
struct RouterBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure featurise + score time per query (one thread; the live router's path: LearnedScorer.estimates).")

    @OptionGroup var options: WorkerOptions

    @Option(help: "A model file.")
    var model: String = "models/router-default.json"

    @Option(help: "Datasets whose prompts are the queries (repeatable).")
    var data: [String] = []

    @Option(help: "Queries to time (prompts are cycled).")
    var queries: Int = 50_000

    @Option(help: "Untimed queries first.")
    var warmup: Int = 5_000

    @Flag(help: "Print a Markdown table row.")
    var markdown = false

    func run() async throws {
        let model = try RouterModel.load(path: model)
        let scorer = try LearnedScorer(model: model)
        var prompts: [RouterQuery] = []
        for path in data {
            prompts += try RouterScoreCommand.readQueries(path, skipBadLines: true).map(\.query)
        }
        guard !prompts.isEmpty else { throw ValidationError("give --data FILE with prompts to time") }
        let tiers = ["edge", "gpu", "cloud"]
        var sink = 0.0
        for index in 0..<warmup { sink += scorer.estimates(for: prompts[index % prompts.count], tiers: tiers)[0] }
        var wall = [Double](repeating: 0, count: queries)
        var cpu = [Double](repeating: 0, count: queries)
        let clock = ContinuousClock()
        for index in 0..<queries {
            let query = prompts[index % prompts.count]
            let cpuStart = Self.threadCPUSeconds()
            let start = clock.now
            sink += scorer.estimates(for: query, tiers: tiers)[0]
            let elapsed = (clock.now - start).components
            cpu[index] = (Self.threadCPUSeconds() - cpuStart) * 1e6
            wall[index] = (Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18) * 1e6
        }
        wall.sort()
        cpu.sort()
        func at(_ values: [Double], _ q: Double) -> String { String(format: "%.1f", values[min(values.count - 1, Int(Double(values.count) * q))]) }
        let bytes = prompts.map { Double($0.text.utf8.count) }.sorted()
        let features = prompts.prefix(2000).map { Double(scorer.featurizer.features(of: $0).count) }.sorted()
        if markdown {
            print("| \(model.name) | \(prompts.count) prompts (median \(Int(bytes[bytes.count / 2])) B, p99 \(Int(bytes[Int(Double(bytes.count) * 0.99)])) B) | \(Int(features[features.count / 2])) | \(at(wall, 0.5)) | \(at(wall, 0.99)) | \(at(cpu, 0.5)) | \(at(cpu, 0.99)) | \(at(wall, 0.999)) |")
        } else {
            print("model \(model.name): \(queries) queries over \(prompts.count) prompts, median \(Int(features[features.count / 2])) features per query")
            print("featurise + score, µs: wall p50 \(at(wall, 0.5)) p90 \(at(wall, 0.9)) p99 \(at(wall, 0.99)) p99.9 \(at(wall, 0.999)); thread CPU p50 \(at(cpu, 0.5)) p99 \(at(cpu, 0.99))")
        }
        if sink.isNaN { print("") }
    }

    /// CPU time of the calling thread.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
