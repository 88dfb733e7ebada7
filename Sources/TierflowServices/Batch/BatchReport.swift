import Foundation
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// What `tierflow batch report ID` shows: lines and queries per layer and tier, cost against sending every
/// query to the top tier, the confidence distribution, and how many diagnoses changed for lines that
/// carried one. Everything is computed in PostgreSQL or streamed in pages, so a million lines fit.
public struct BatchReport: Sendable {
    public struct LayerRow: Sendable, Hashable {
        /// 0 = knowledge base, n = tier n; nil = no result yet.
        public var layer: Int?
        public var tier: String?
        public var lines: Int
        public var queries: Int
    }

    public var status: BatchStatus
    public var tiers: [TierConfig]
    public var layers: [LayerRow]
    public var endedBy: [String: Int]
    /// Lines per confidence decile (0: [0, 0.1), …, 9: [0.9, 1]).
    public var confidence: [Int]
    public var lowConfidenceLines: Int
    public var costUSD: Double
    /// What the distinct queries would have cost on the top tier alone (prompt tokens as logged, or
    /// estimated at 4 characters a token; answer length the mean seen in this batch).
    public var topTierCostUSD: Double
    /// The same for every line (no de-duplication): what a naive re-run on the top tier would cost.
    public var topTierCostPerLineUSD: Double
    public var simulatedQueries: Int
    public var compared: Int
    public var changed: Int
    public var skipped: [(line: Int, reason: String)]

    /// Reads the report of batch `id`; nil if there is no such batch.
    public static func load(id: String, config: PipelineConfig, connection: PostgresConnection) async throws -> BatchReport? {
        guard let status = try await BatchStore(connection: connection).load(id) else { return nil }
        let batch: [PostgresValue] = [.string(id)]
        var layers: [LayerRow] = []
        for row in try await connection.query(
            """
            SELECT r.layer, r.tier, count(*)::bigint AS lines, count(DISTINCT l.query_id)::bigint AS queries
            FROM batch_lines l LEFT JOIN results r ON r.query_id = l.query_id
            WHERE l.batch_id = $1 AND l.query_id IS NOT NULL GROUP BY r.layer, r.tier ORDER BY r.layer NULLS LAST, r.tier
            """, batch)
        {
            layers.append(LayerRow(layer: try row.int("layer"), tier: try row.string("tier"), lines: try row.int("lines") ?? 0, queries: try row.int("queries") ?? 0))
        }
        var endedBy: [String: Int] = [:]
        var confidence = Array(repeating: 0, count: 10)
        var low = 0
        for row in try await connection.query(
            """
            SELECT r.ended_by, least(9, greatest(0, floor(coalesce(r.confidence, 0) * 10)))::int AS bucket,
                   r.low_confidence, count(*)::bigint AS n
            FROM batch_lines l JOIN results r ON r.query_id = l.query_id
            WHERE l.batch_id = $1 GROUP BY 1, 2, 3
            """, batch)
        {
            let n = try row.int("n") ?? 0
            endedBy[try row.string("ended_by") ?? "?", default: 0] += n
            confidence[try row.int("bucket") ?? 0] += n
            if try row.bool("low_confidence") == true { low += n }
        }
        let costRows = try await connection.query(
            """
            WITH answered AS (
                SELECT q.line_count, r.cost_usd, r.simulated,
                       coalesce((r.history->0->>'tokens_in')::float8, greatest(1, length(r.answer) / 4)) AS tokens_in
                FROM batch_queries q JOIN results r ON r.query_id = q.query_id WHERE q.batch_id = $1
            ), answers AS (
                SELECT avg((a->>'tokens_out')::float8) AS tokens_out
                FROM batch_queries q JOIN results r ON r.query_id = q.query_id, jsonb_array_elements(r.history) a
                WHERE q.batch_id = $1 AND (a->>'tokens_out')::float8 > 0
            )
            SELECT coalesce(sum(cost_usd), 0)::float8 AS cost, coalesce(sum(tokens_in), 0)::float8 AS tokens_in,
                   coalesce(sum(tokens_in * line_count), 0)::float8 AS line_tokens_in, count(*)::bigint AS queries,
                   coalesce(sum(line_count), 0)::bigint AS lines, count(*) FILTER (WHERE simulated)::bigint AS simulated,
                   (SELECT coalesce(avg(tokens_out), 250) FROM answers)::float8 AS tokens_out
            FROM answered
            """, batch)
        let cost = costRows.first
        let tokensOut = try cost?.double("tokens_out") ?? 250
        let top = config.tiers.last
        func topCost(tokensIn: Double, count: Int) -> Double {
            guard let top else { return 0 }
            return tokensIn * top.price.inputPerMillion / 1e6 + Double(count) * tokensOut * top.price.outputPerMillion / 1e6
        }
        let (compared, changed) = try await compare(id: id, connection: connection)
        var skipped: [(Int, String)] = []
        for row in try await connection.query(
            "SELECT line_no, error FROM batch_lines WHERE batch_id = $1 AND error IS NOT NULL ORDER BY line_no LIMIT 20", batch)
        {
            skipped.append((try row.int("line_no") ?? 0, try row.string("error") ?? ""))
        }
        return BatchReport(
            status: status, tiers: config.tiers, layers: layers, endedBy: endedBy, confidence: confidence, lowConfidenceLines: low,
            costUSD: try cost?.double("cost") ?? 0,
            topTierCostUSD: topCost(tokensIn: try cost?.double("tokens_in") ?? 0, count: try cost?.int("queries") ?? 0),
            topTierCostPerLineUSD: topCost(tokensIn: try cost?.double("line_tokens_in") ?? 0, count: try cost?.int("lines") ?? 0),
            simulatedQueries: try cost?.int("simulated") ?? 0, compared: compared, changed: changed, skipped: skipped)
    }

    /// Lines with a previous diagnosis and a result, and how many of those changed, in pages of distinct
    /// (query, previous) pairs.
    static func compare(id: String, connection: PostgresConnection) async throws -> (Int, Int) {
        var compared = 0
        var changed = 0
        var after = ("", "")
        while true {
            let rows = try await connection.query(
                """
                SELECT l.query_id, l.previous, min(r.answer) AS answer, count(*)::bigint AS n
                FROM batch_lines l JOIN results r ON r.query_id = l.query_id
                WHERE l.batch_id = $1 AND l.previous IS NOT NULL AND (l.query_id, l.previous) > ($2, $3)
                GROUP BY l.query_id, l.previous ORDER BY l.query_id, l.previous LIMIT 2000
                """, [.string(id), .string(after.0), .string(after.1)])
            for row in rows {
                let n = try row.int("n") ?? 0
                compared += n
                if DiagnosisComparison.changed(previous: try row.string("previous") ?? "", answer: try row.string("answer") ?? "") {
                    changed += n
                }
            }
            guard rows.count == 2000, let last = rows.last else { break }
            after = (try last.string("query_id") ?? "", try last.string("previous") ?? "")
        }
        return (compared, changed)
    }

    /// The name of `layer`: `layer 0 (knowledge base)`, `tier 1 edge`, `no result yet`.
    public func layerName(_ row: LayerRow) -> String {
        guard let layer = row.layer else { return "no result yet" }
        return layer == 0 ? "layer 0 (knowledge base)" : "tier \(layer) \(row.tier ?? "?")"
    }

    /// The report as text.
    public func render() -> String {
        let s = status
        var lines = ["Batch \(s.id) — \(s.file) (\(s.format)), state \(s.state)"]
        lines.append("  lines           \(s.linesRead) read of \(s.totalLines.map(String.init) ?? "?"), \(s.malformed) skipped, \(s.doneLines) answered")
        lines.append("  queries         \(s.queries) distinct (identical lines share one), \(s.doneQueries) answered")
        let answeredLines = layers.filter { $0.layer != nil }.reduce(0) { $0 + $1.lines }
        lines.append("  answered at     (lines · queries)")
        for row in layers {
            lines.append("    " + layerName(row).padding(toLength: 28, withPad: " ", startingAt: 0)
                + "\(row.lines) · \(row.queries)" + (row.layer == nil ? "" : String(format: "  (%.1f%% of lines)", 100 * Double(row.lines) / Double(max(1, answeredLines)))))
        }
        lines.append("  ended by        " + endedBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: " · "))
        lines.append(String(format: "  cost            $%.4f for %d queries", costUSD, s.doneQueries))
        if let top = tiers.last {
            lines.append(String(format: "  all to %@      $%.4f for the same queries (%@), $%.4f for every line without de-duplication",
                top.name, topTierCostUSD, costUSD > 0 ? String(format: "%.1f× the cost", topTierCostUSD / costUSD) : "cost 0", topTierCostPerLineUSD))
        }
        let total = max(1, confidence.reduce(0, +))
        lines.append("  confidence      (lines per decile; \(lowConfidenceLines) low-confidence)")
        for (index, count) in confidence.enumerated() {
            let bar = String(repeating: "#", count: Int((40 * Double(count) / Double(total)).rounded()))
            lines.append(String(format: "    %.1f–%.1f  %8d  %@", Double(index) / 10, Double(index + 1) / 10, count, bar))
        }
        lines.append("  previous        \(compared) lines carried a diagnosis; \(changed) changed (\(compared > 0 ? String(format: "%.1f%%", 100 * Double(changed) / Double(compared)) : "-"))")
        if simulatedQueries > 0 { lines.append("  NOTE            \(simulatedQueries) answers came from the SIMULATED backend") }
        if !skipped.isEmpty {
            lines.append("  skipped lines   (first \(skipped.count))")
            for (line, reason) in skipped { lines.append("    line \(line): \(reason)") }
        }
        return lines.joined(separator: "\n")
    }
}
