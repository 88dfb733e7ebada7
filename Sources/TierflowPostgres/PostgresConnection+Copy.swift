extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` with `data` in COPY's text format; returns the rows copied.
    public func copyIn(_ sql: String, data: [UInt8]) async throws -> Int {
        try Task.checkCancellation()
        return try await withSession { session in try session.copyIn(sql, data: data) }
    }

    /// Copies hop rows with one plain `COPY` (no conflict handling): the baseline the hop-log writer is
    /// measured against.
    public func copyHops(_ hops: [HopRecord]) async throws -> Int {
        try await copyIn(
            "COPY hops (query_id, stage, tier, attempt, worker, started_at, finished_at, decision, score, model, tokens_in, tokens_out, cost_usd, error, detail, output) FROM STDIN",
            data: Self.copyText(hops))
    }

    /// COPY text format: tab-separated, `\N` for NULL, backslash escapes.
    static func copyText(_ hops: [HopRecord]) -> [UInt8] {
        func field(_ value: PostgresValue) -> String {
            guard let text = value.textRepresentation else { return "\\N" }
            return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        }
        var out = ""
        for hop in hops {
            out += BatchInsert.row(hop).map(field).joined(separator: "\t") + "\n"
        }
        return Array(out.utf8)
    }
}
