import Foundation
import TierflowCore
import TierflowPipeline

/// The demo's results: a table of every query and a summary of cost, tier mix and latency.
public struct DemoReport: Sendable {
    let config: PipelineConfig
    let order: [String]
    let labels: [String: [String]]
    public let results: [String: ResultMessage]
    let messageCount: Int
    let elapsed: Duration

    /// Queries that got no result in time.
    public var missing: [String] { order.filter { results[$0] == nil } }

    /// The report as text for a terminal.
    public func render() -> String {
        var lines: [String] = []
        let simulated = config.tiers.filter(\.isSimulated).map(\.name)
        if !simulated.isEmpty {
            lines.append("NOTE: tiers \(simulated.joined(separator: ", ")) use the SIMULATED backend (no endpoint set): their answers are not from a real model.")
            lines.append("")
        }
        lines.append(row(["query / event", "answered by", "conf", "cost $", "latency ms", "note"]))
        lines.append(String(repeating: "-", count: 112))
        for id in order {
            let label = labels[id]?.first ?? id
            guard let result = results[id] else {
                lines.append(row([label, "NO RESULT", "", "", "", ""]))
                continue
            }
            var notes: [String] = []
            if let count = labels[id]?.count, count > 1 { notes.append("+\(count - 1) coalesced") }
            if result.escalations > 0 { notes.append("\(result.escalations) escalation\(result.escalations == 1 ? "" : "s")") }
            if result.lowConfidence { notes.append("low confidence (\(result.endedBy))") }
            if result.simulated { notes.append("simulated") }
            lines.append(row([
                label, answeredBy(result), result.confidence.map { String(format: "%.2f", $0) } ?? "-",
                String(format: "%.5f", result.costUSD), String(format: "%.0f", result.latencyMilliseconds), notes.joined(separator: ", "),
            ]))
        }
        lines.append("")
        lines += summary()
        return lines.joined(separator: "\n")
    }

    private func answeredBy(_ result: ResultMessage) -> String {
        result.layer == 0 ? "layer 0 (knowledge base)" : "tier \(result.layer) \(result.tier ?? "?")"
    }

    private func summary() -> [String] {
        let done = order.compactMap { results[$0] }
        guard !done.isEmpty else { return ["no results"] }
        var lines = ["Summary: \(messageCount) messages → \(order.count) queries, \(done.count) answered in \(String(format: "%.1f", seconds(elapsed))) s"]
        var byLayer: [Int: Int] = [:]
        for result in done { byLayer[result.layer, default: 0] += 1 }
        var mix: [String] = []
        for layer in 0...config.tiers.count {
            let name = layer == 0 ? "layer 0" : config.tiers[layer - 1].name
            mix.append("\(name) \(percent(byLayer[layer] ?? 0, of: done.count))")
        }
        lines.append("  answered at     " + mix.joined(separator: " · "))
        let escalated = done.filter { $0.escalations > 0 }.count
        lines.append("  escalated       \(escalated) of \(done.count - (byLayer[0] ?? 0)) tier-answered queries")
        let total = done.reduce(0) { $0 + $1.costUSD }
        let topAll = done.reduce(0) { $0 + topTierCost($1) }
        lines.append(String(format: "  cost            $%.4f total, $%.6f per query", total, total / Double(done.count)))
        if let top = config.tiers.last {
            let ratio = total > 0 ? String(format: " (%.0f× the cost)", topAll / total) : ""
            lines.append("  all to \(top.name)".padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "$%.4f", topAll) + ratio)
        }
        let latencies = done.map(\.latencyMilliseconds).sorted()
        lines.append(String(format: "  latency         p50 %.0f ms · p99 %.0f ms (includes each tier's model time)", quantile(latencies, 0.5), quantile(latencies, 0.99)))
        if !missing.isEmpty { lines.append("  MISSING         \(missing.count) queries got no result before the timeout") }
        return lines
    }

    /// What the query would have cost on the top tier alone: its prompt tokens (as logged, or
    /// estimated at 4 characters a token) and the mean answer length seen in this run.
    private func topTierCost(_ result: ResultMessage) -> Double {
        guard let top = config.tiers.last else { return 0 }
        let tokensIn = result.history.first?.tokensIn ?? max(1, result.answer.utf8.count / 4)
        let observed = results.values.flatMap(\.history).map(\.tokensOut).filter { $0 > 0 }
        let tokensOut = observed.isEmpty ? 250 : observed.reduce(0, +) / observed.count
        return top.price.cost(inputTokens: tokensIn, outputTokens: tokensOut)
    }

    private func row(_ cells: [String]) -> String {
        let widths = [40, 26, 5, 9, 10]
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index < widths.count {
                let text = cell.count > widths[index] ? String(cell.prefix(widths[index] - 1)) + "…" : cell
                line += text.padding(toLength: widths[index], withPad: " ", startingAt: 0) + " "
            } else {
                line += cell
            }
        }
        return line
    }

    private func percent(_ count: Int, of total: Int) -> String {
        String(format: "%.0f%%", 100 * Double(count) / Double(max(1, total)))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded(.up)))]
    }
}
