import Foundation

/// Renders a ``StatusSnapshot`` as one terminal screen of plain text.
public enum StatusScreen {
    /// The screen; `width` bounds the spend bar.
    public static func render(_ s: StatusSnapshot) -> String {
        var out: [String] = []
        let stamp = ISO8601DateFormatter().string(from: s.generatedAt)
        out.append("Tierflow status — namespace \(s.namespace) — \(stamp) — window \(duration(s.windowSeconds))")
        out.append("")
        out.append(pad("QUEUES", 30) + lpad("ready", 8) + lpad("unacked", 9) + lpad("consumers", 11) + lpad("in/s", 9) + lpad("ack/s", 9))
        for q in s.queues {
            let label = q.tier.map { "\(q.stage) \($0)" } ?? q.stage
            out.append(
                "  " + pad(label, 28) + lpad(String(q.ready), 8) + lpad(q.unacknowledged.map(String.init) ?? "-", 9)
                    + lpad(String(q.consumers), 11) + lpad(rate(q.inRate), 9) + lpad(rate(q.outRate), 9))
        }
        if s.queueSource != "management" { out.append("  (queue figures from AMQP: set ops.management_url for unacked counts and rates)") }
        out.append("")
        out.append(
            pad("THROUGHPUT", 14) + String(format: "%.1f results/s (last minute)   %.2f/s over the window   %d results", s.throughputLastMinute, s.throughputWindow, s.results))
        let mix = s.tierMix.map { row in
            let name = row.layer == 0 ? "layer0" : (row.tier.isEmpty ? "layer \(row.layer)" : row.tier)
            return String(format: "%@ %.1f%% (%d)", name, row.share * 100, row.count)
        }
        out.append(pad("TIER MIX", 14) + (mix.isEmpty ? "no results in the window" : mix.joined(separator: "   ")))
        out.append(pad("LATENCY", 14) + String(format: "end to end p50 %@  p99 %@", ms(s.p50Ms), ms(s.p99Ms)))
        for hop in s.hops {
            let label = hop.tier.isEmpty ? hop.stage : "\(hop.stage) \(hop.tier)"
            out.append(String(format: "%@hop %@ p50 %@  p99 %@  (%d hops)", pad("", 14), pad(label, 16), lpad(ms(hop.p50Ms), 9), lpad(ms(hop.p99Ms), 9), hop.count))
        }
        out.append(
            pad("ESCALATION", 14)
                + String(format: "%.1f%% of results escalated at least once; %d ended below their threshold; %d dead-lettered", s.escalationRate * 100, s.lowConfidence, s.deadLetters))
        var spend = pad("SPEND TODAY", 14) + String(format: "$%.4f", s.spentTodayUSD)
        if s.dailyBudgetUSD > 0 {
            let used = s.spentTodayUSD / s.dailyBudgetUSD
            let filled = max(0, min(20, Int((used * 20).rounded())))
            spend += String(format: " of $%.2f budget (%.1f%%) [", s.dailyBudgetUSD, used * 100)
                + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "]"
        } else {
            spend += " (no daily budget set)"
        }
        out.append(spend)
        return out.joined(separator: "\n") + "\n"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }

    private static func rate(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }

    private static func ms(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.2f s", value / 1000) : String(format: value < 10 ? "%.1f ms" : "%.0f ms", value)
    }

    private static func duration(_ seconds: Double) -> String {
        seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0
            ? "\(Int(seconds / 3600)) h" : seconds >= 60 ? "\(Int(seconds / 60)) min" : "\(Int(seconds)) s"
    }
}
