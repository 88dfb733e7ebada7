import Foundation
import TierflowPipeline

/// Renders a ``Layer0Evaluation`` as text or Markdown: the totals, a breakdown by query kind, the curve
/// over thresholds, and (on request) why queries were missed or wrongly hit.
struct Layer0EvaluationReport {
    let evaluation: Layer0Evaluation
    let settings: Layer0Matcher.Settings
    let entries: Int

    static let thresholds = stride(from: 0.0, through: 1.0001, by: 0.05).map { ($0 * 100).rounded() / 100 }

    private func format(_ value: Double) -> String { String(format: "%.4f", value) }

    func text() -> String {
        let total = evaluation.point(settings)
        var lines = [
            "kb eval: \(entries) entries, \(evaluation.lookups.count) queries (\(total.positives) must hit, \(total.negatives) must miss)",
            "threshold \(settings.threshold), margin \(settings.margin): precision \(format(total.precision)) "
                + "(\(total.hits) hits, \(total.falseHits) false), recall \(format(total.recall))",
            "", "by kind:",
        ]
        for kind in evaluation.kinds {
            let point = evaluation.point(settings) { $0 == kind }
            let count = point.positives + point.negatives
            lines.append("  \(kind.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count) queries, \(point.hits) hits, \(point.falseHits) false")
        }
        lines += ["", "curve (margin \(settings.margin)):", "  threshold  hits  false  precision  recall"]
        for point in evaluation.curve(Self.thresholds, margin: settings.margin) {
            lines.append(String(format: "  %9.2f  %4d  %5d  %9.4f  %6.4f", point.threshold, point.hits, point.falseHits, point.precision, point.recall))
        }
        return lines.joined(separator: "\n")
    }

    func markdown() -> String {
        let total = evaluation.point(settings)
        var lines = [
            "| measure | value |", "|---|---|",
            "| entries / queries | \(entries) / \(evaluation.lookups.count) (\(total.positives) must hit, \(total.negatives) must miss) |",
            "| threshold / ambiguity margin | \(settings.threshold) / \(settings.margin) |",
            "| precision | \(format(total.precision)) (\(total.hits) hits, \(total.falseHits) false) |",
            "| recall | \(format(total.recall)) |", "",
            "| query kind | queries | hits | false hits |", "|---|---|---|---|",
        ]
        for kind in evaluation.kinds {
            let point = evaluation.point(settings) { $0 == kind }
            lines.append("| \(kind) | \(point.positives + point.negatives) | \(point.hits) | \(point.falseHits) |")
        }
        lines += ["", "| threshold | hits | false hits | precision | recall |", "|---|---|---|---|---|"]
        for point in evaluation.curve(Self.thresholds, margin: settings.margin) {
            lines.append(String(format: "| %.2f | %d | %d | %.4f | %.4f |", point.threshold, point.hits, point.falseHits, point.precision, point.recall))
        }
        return lines.joined(separator: "\n")
    }

    /// False hits and missed queries, each with the reason.
    func explanations(limit: Int, matcher: Layer0Matcher) -> String {
        var falseHits: [String] = []
        var misses: [String] = []
        for lookup in evaluation.lookups {
            let hit = Layer0Evaluation.answer(lookup, settings: settings)
            let query = lookup.query
            if let hit, hit.key != query.expect, falseHits.count < limit {
                let score = lookup.candidates.first { $0.entry.key == hit.key }?.score ?? 1
                falseHits.append("FALSE HIT \(query.id) [\(query.kind)] → \(hit.key) (score \(format(score)))\n    query: \(query.payload.text.prefix(200))\n    entry: \(hit.question.prefix(200))")
            } else if hit == nil, let expect = query.expect, misses.count < limit {
                misses.append("MISS \(query.id) [\(query.kind)] expected \(expect): \(reason(lookup, expected: expect, matcher: matcher))")
            }
        }
        return (["", "explanations:"] + falseHits + misses).joined(separator: "\n")
    }

    private func reason(_ lookup: Layer0Evaluation.Lookup, expected: String, matcher: Layer0Matcher) -> String {
        guard let entry = matcher.entry(forKey: expected) else { return "no such entry" }
        guard let probe = matcher.analyzer.probe(lookup.query.payload) else { return "not answerable (conversation)" }
        let entryGuards = matcher.analyzer.signature(of: entry).guards
        if let disagreement = probe.signature.guards.disagreement(withEntry: entryGuards) {
            return "guard: \(disagreement)\n    query: \(lookup.query.payload.text.prefix(200))\n    entry: \(entry.question.prefix(200))"
        }
        let score = lookup.candidates.first { $0.entry.key == expected }?.score ?? 0
        if score < settings.threshold { return "similarity \(format(score)) < \(settings.threshold)" }
        return "ambiguous: \(lookup.candidates.prefix(3).map { "\($0.entry.key) \(format($0.score))" }.joined(separator: ", "))"
    }
}
