import ArgumentParser
import Foundation
import TierflowCore
import TierflowPipeline

/// `tierflow kb eval`: precision and recall of Layer 0's hits on labelled queries, in-process (no database).
struct KnowledgeBaseEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Precision and recall of Layer 0 hits: a knowledge-base file against labelled queries.",
        discussion: """
            Queries are JSON Lines: {"id": "...", "text": "..." (or "event": {...} or "messages": [...]), \
            "expect": "<entry key>" or null, "kind": "<label>"}. See scripts/make_kb_eval.py.
            """)

    @Option(help: "The knowledge base (.jsonl or .csv, as for `kb import`).")
    var kb: String

    @Option(help: "The labelled queries (.jsonl).")
    var queries: String

    @Option(help: "Similarity threshold (default: layer0.similarity_threshold of --config, else the built-in default).")
    var threshold: Double?

    @Option(help: "Ambiguity margin (default: layer0.ambiguity_margin of --config, else 0.05).")
    var margin: Double?

    @Option(help: "A pipeline configuration to take the thresholds from.")
    var config: String?

    @Option(help: "A lexicon file (kind<TAB>phrase lines) to use instead of the built-in one.")
    var lexicon: String?

    @Flag(help: "Print Markdown tables (for BENCHMARKS.md).")
    var markdown = false

    @Option(help: "Print up to this many false hits and missed queries with the reason.")
    var explain = 0

    @Flag(help: "Also print the curve of plain vector similarity without guards (the baseline).")
    var baseline = false

    func run() async throws {
        var settings = Layer0Matcher.Settings()
        if let config {
            let loaded = try PipelineConfig.load(path: config)
            settings = .init(threshold: loaded.layer0.similarityThreshold, margin: loaded.layer0.ambiguityMargin)
        }
        if let threshold { settings.threshold = threshold }
        if let margin { settings.margin = margin }
        let entries = try Self.readEntries(kb)
        let parsed = Layer0Evaluation.parseQueries(try Self.read(queries))
        for error in parsed.errors { FileHandle.standardError.write(Data("\(queries): \(error)\n".utf8)) }
        guard parsed.errors.isEmpty else { throw ExitCode(1) }
        let analyzer = try lexicon.map { Layer0Analyzer(lexicon: DomainLexicon(lines: try Self.read($0))) } ?? Layer0Analyzer()
        let matcher = Layer0Matcher(entries: entries, analyzer: analyzer)
        let evaluation = Layer0Evaluation(matcher: matcher, queries: parsed.queries, now: Date())
        let report = Layer0EvaluationReport(evaluation: evaluation, settings: settings, entries: matcher.count)
        print(markdown ? report.markdown() : report.text())
        if explain > 0 { print(report.explanations(limit: explain, matcher: matcher)) }
        if baseline {
            let plain = Layer0Evaluation(similarityOnly: entries, queries: parsed.queries, analyzer: analyzer)
            let plainReport = Layer0EvaluationReport(evaluation: plain, settings: .init(threshold: settings.threshold, margin: 0), entries: entries.count)
            print(markdown ? "\nBaseline, similarity only (no guards, margin 0):\n\n" + plainReport.markdown() : "\nbaseline, similarity only (no guards):\n" + plainReport.text())
        }
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("cannot read \(path) as UTF-8 text")
        }
        return text
    }

    /// The entries of a knowledge-base file; stops on bad lines, naming each.
    static func readEntries(_ path: String) throws -> [KnowledgeEntry] {
        let parsed = KnowledgeFileParser().parse(try read(path), csv: path.lowercased().hasSuffix(".csv"))
        for error in parsed.errors { FileHandle.standardError.write(Data("\(path): \(error)\n".utf8)) }
        guard parsed.errors.isEmpty else { throw ExitCode(1) }
        return parsed.entries
    }
}
