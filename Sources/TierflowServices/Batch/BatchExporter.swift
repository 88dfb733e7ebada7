import Foundation
import TierflowPipeline
import TierflowPostgres

/// Writes one output line per input line (its diagnosis, or why it was skipped) to JSON Lines or CSV,
/// reading `batch_results` in pages of 5,000 lines.
public struct BatchExporter: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    static let columns = [
        "line", "source_id", "query_id", "layer", "tier", "model", "confidence", "low_confidence", "ended_by", "cost_usd",
        "previous", "changed", "answer", "error",
    ]

    /// Writes batch `id` to `path` (`.csv` for CSV, otherwise JSON Lines); returns the number of lines written.
    @discardableResult
    public func export(id: String, to path: String) async throws -> Int {
        let csv = path.lowercased().hasSuffix(".csv")
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw BatchInputError(.unreadableFile, "cannot write the output file", file: path)
        }
        defer { try? handle.close() }
        if csv { try handle.write(contentsOf: Data((Self.columns.joined(separator: ",") + "\n").utf8)) }
        var after = 0
        var written = 0
        while true {
            let rows = try await connection.query(
                """
                SELECT line_no, source_id, query_id, layer, tier, model, confidence, low_confidence, ended_by, cost_usd,
                       previous, answer, error
                FROM batch_results WHERE batch_id = $1 AND line_no > $2 ORDER BY line_no LIMIT 5000
                """, [.string(id), .int(after)])
            var out = ""
            for row in rows {
                let answer = try row.string("answer")
                let previous = try row.string("previous")
                let changed: Bool? = previous.flatMap { previous in answer.map { DiagnosisComparison.changed(previous: previous, answer: $0) } }
                let values: [String: Any?] = [
                    "line": try row.int("line_no"), "source_id": try row.string("source_id"), "query_id": try row.string("query_id"),
                    "layer": try row.int("layer"), "tier": try row.string("tier"), "model": try row.string("model"),
                    "confidence": try row.double("confidence"), "low_confidence": try row.bool("low_confidence"),
                    "ended_by": try row.string("ended_by"), "cost_usd": try row.double("cost_usd"), "previous": previous,
                    "changed": changed, "answer": answer, "error": try row.string("error"),
                ]
                out += csv ? Self.csvLine(values) : Self.jsonLine(values)
                after = try row.int("line_no") ?? after
            }
            try handle.write(contentsOf: Data(out.utf8))
            written += rows.count
            if rows.count < 5000 { return written }
        }
    }

    static func jsonLine(_ values: [String: Any?]) -> String {
        var object: [String: Any] = [:]
        for (key, value) in values { object[key] = value ?? NSNull() }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func csvLine(_ values: [String: Any?]) -> String {
        columns.map { column -> String in
            guard let value = values[column] ?? nil else { return "" }
            let text = "\(value)"
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }.joined(separator: ",") + "\n"
    }
}
