import ArgumentParser
import Foundation
import TierflowCore
import TierflowPipeline

/// `tierflow kb bench`: Layer 0 lookup latency and memory with many entries, on one thread (one core).
///
/// Two knowledge bases of `--entries` entries each:
/// - typical: the evaluation knowledge base repeated with a different PLC tag per copy (each guard group
///   holds a handful of entries), looked up with the paraphrases (tag included) — they hit;
/// - one group: entries whose guards are all equal (made-up words, no domain terms, no numbers), so every
///   lookup lands in one group of all entries — the inverted index's worst case.
struct KnowledgeBaseBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark Layer 0 lookups (latency on one core, memory per 100k entries).")

    @Option(help: "The evaluation knowledge base the typical entries are made from.")
    var kb = "examples/kb-eval/kb-dev.jsonl"

    @Option(help: "The evaluation queries (their paraphrases are looked up).")
    var queries = "examples/kb-eval/queries-dev.jsonl"

    @Option(help: "Entries per knowledge base.")
    var entries = 100_000

    @Option(help: "Timed lookups per knowledge base.")
    var lookups = 20_000

    @Flag(help: "Print a Markdown table.")
    var markdown = false

    @Flag(help: "Leave out the Markdown table header.")
    var noHeader = false

    @Option(help: "Run only this knowledge base: typical or one-group (memory is measured best one per process).")
    var only: String?

    func run() async throws {
        let base = try KnowledgeBaseEvalCommand.readEntries(kb)
        let parsed = Layer0Evaluation.parseQueries(try KnowledgeBaseEvalCommand.read(queries))
        let paraphrases = parsed.queries.filter { $0.expect != nil }
        let (entries, lookups, only) = (self.entries, self.lookups, self.only)
        let results = await Self.onOwnThread {
            var results: [Layer0Benchmark.Result] = []
            if only == nil || only == "typical" {
                results.append(Layer0Benchmark.run(
                    name: "typical", entries: { Layer0Benchmark.typicalEntries(base, count: entries) },
                    queries: Layer0Benchmark.typicalQueries(paraphrases, baseCount: base.count, entries: entries, count: lookups)))
            }
            if only == nil || only == "one-group" {
                results.append(Layer0Benchmark.run(
                    name: "one group", entries: { Layer0Benchmark.oneGroupEntries(count: entries) },
                    queries: Layer0Benchmark.oneGroupQueries(entries: entries, count: lookups)))
            }
            return results
        }
        if markdown && !noHeader {
            print(Layer0Benchmark.Result.markdownHeader)
        }
        for result in results { print(markdown ? result.markdownRow : result.text) }
    }

    /// Runs `body` on a new thread and waits for it: timing is not disturbed by, and does not block, the pool.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 1 << 24
            thread.start()
        }
    }
}
