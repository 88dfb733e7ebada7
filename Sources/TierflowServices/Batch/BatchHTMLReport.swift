import Foundation
import TierflowCore

/// A self-contained HTML page for a ``BatchReport``: inline CSS and SVG charts, no scripts, no links.
public struct BatchHTMLReport: Sendable {
    public let report: BatchReport

    public init(report: BatchReport) {
        self.report = report
    }

    public func render() -> String {
        let s = report.status
        let answered = report.layers.filter { $0.layer != nil }
        let layerBars = answered.map { (report.layerName($0), Double($0.lines)) }
        let deciles = report.confidence.enumerated().map { (String(format: "%.1f", Double($0.offset) / 10), Double($0.element)) }
        var costBars = [("Tierflow (this batch)", report.costUSD)]
        if let top = report.tiers.last {
            costBars.append(("all queries to \(top.name)", report.topTierCostUSD))
            costBars.append(("every line to \(top.name)", report.topTierCostPerLineUSD))
        }
        var rows = ""
        for row in report.layers {
            rows += "<tr><td>\(Self.escape(report.layerName(row)))</td><td>\(row.lines)</td><td>\(row.queries)</td></tr>"
        }
        var skipped = ""
        for (line, reason) in report.skipped { skipped += "<tr><td>\(line)</td><td>\(Self.escape(reason))</td></tr>" }
        let changedShare = report.compared > 0 ? String(format: "%.1f%%", 100 * Double(report.changed) / Double(report.compared)) : "–"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Tierflow batch \(Self.escape(s.id))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
            h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse}
            td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}.k{color:#666}
            .note{background:#fff4d6;padding:6px 10px;border-radius:4px}
            </style></head><body>
            <h1>Batch re-diagnosis <code>\(Self.escape(s.id))</code></h1>
            <p class="k">\(Self.escape(s.file)) (\(Self.escape(s.format))) · state <b>\(Self.escape(s.state.rawValue))</b> · generated \(Self.escape(Timestamp.format(Date())))</p>
            \(report.simulatedQueries > 0 ? "<p class=\"note\">\(report.simulatedQueries) answers came from the simulated backend, not a real model.</p>" : "")
            <table>
            <tr><td class="k">lines</td><td>\(s.linesRead) read of \(s.totalLines.map(String.init) ?? "?") · \(s.malformed) skipped · \(s.doneLines) answered</td></tr>
            <tr><td class="k">queries</td><td>\(s.queries) distinct · \(s.doneQueries) answered</td></tr>
            <tr><td class="k">cost</td><td>\(String(format: "$%.4f", report.costUSD))</td></tr>
            <tr><td class="k">low confidence</td><td>\(report.lowConfidenceLines) lines</td></tr>
            <tr><td class="k">previous diagnosis</td><td>\(report.compared) lines carried one · \(report.changed) changed (\(changedShare))</td></tr>
            </table>
            <h2>Lines answered per layer</h2>
            \(Self.barChart(layerBars, format: { String(Int($0)) }))
            <table><tr><th>answered at</th><th>lines</th><th>queries</th></tr>\(rows)</table>
            <h2>Cost against the top tier</h2>
            \(Self.barChart(costBars, format: { String(format: "$%.4f", $0) }))
            <h2>Confidence (lines per decile)</h2>
            \(Self.columnChart(deciles))
            \(skipped.isEmpty ? "" : "<h2>Skipped lines (first \(report.skipped.count))</h2><table><tr><th>line</th><th>reason</th></tr>\(skipped)</table>")
            </body></html>

            """
    }

    /// Horizontal bars with labels and values.
    static func barChart(_ bars: [(String, Double)], format: (Double) -> String) -> String {
        let maximum = max(bars.map(\.1).max() ?? 0, 1e-12)
        let height = 26 * bars.count + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"\(height)\" role=\"img\">"
        for (index, bar) in bars.enumerated() {
            let y = 5 + index * 26
            let width = Int(500 * bar.1 / maximum)
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"13\">\(escape(bar.0))</text>"
            svg += "<rect x=\"230\" y=\"\(y)\" width=\"\(max(1, width))\" height=\"20\" fill=\"#3b7dd8\"/>"
            svg += "<text x=\"\(236 + width)\" y=\"\(y + 15)\" font-size=\"13\">\(escape(format(bar.1)))</text>"
        }
        return svg + "</svg>"
    }

    /// Vertical columns (a histogram).
    static func columnChart(_ columns: [(String, Double)]) -> String {
        let maximum = max(columns.map(\.1).max() ?? 0, 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(60 * columns.count + 20)\" height=\"230\" role=\"img\">"
        for (index, column) in columns.enumerated() {
            let x = 10 + index * 60
            let height = Int(170 * column.1 / maximum)
            svg += "<rect x=\"\(x)\" y=\"\(190 - height)\" width=\"50\" height=\"\(height)\" fill=\"#5aa469\"/>"
            svg += "<text x=\"\(x + 25)\" y=\"\(185 - height)\" font-size=\"11\" text-anchor=\"middle\">\(Int(column.1))</text>"
            svg += "<text x=\"\(x + 25)\" y=\"208\" font-size=\"12\" text-anchor=\"middle\">\(escape(column.0))</text>"
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
