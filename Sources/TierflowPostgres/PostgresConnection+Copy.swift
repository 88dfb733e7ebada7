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

    /// COPY text format: tab-separated, `\N` for NULL, backslash escapes; escaped byte-wise (every byte that
    /// needs a backslash is ASCII, so UTF-8 sequences pass through untouched).
    static func copyText(_ hops: [HopRecord]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hops.count * 256)
        for hop in hops {
            for (index, value) in BatchInsert.row(hop).enumerated() {
                if index > 0 { out.append(UInt8(ascii: "\t")) }
                guard var text = value.textRepresentation else {
                    out.append(contentsOf: #"\N"#.utf8)
                    continue
                }
                text.withUTF8 { appendEscaped($0, to: &out) }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Appends `field` with `\`, tab, newline and carriage return backslash-escaped, copying the runs between them.
    private static func appendEscaped(_ field: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var start = 0
        for index in field.indices {
            let escaped: UInt8
            switch field[index] {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: field[start..<index]))
            out.append(UInt8(ascii: "\\"))
            out.append(escaped)
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: field[start...]))
    }
}
