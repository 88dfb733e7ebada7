import Foundation

/// A lexical scan of Swift sources for SQL text built by string interpolation.
///
/// Every string literal (single-line, multi-line and raw) that looks like SQL — it starts with a
/// statement keyword, or has two clause keywords such as `FROM` and `WHERE` — is checked for
/// interpolation (`\(…)`). Each interpolated expression must be on the allow-list for its file: those
/// insert identifiers or placeholder lists the code builds from constants, never values.
///
/// What it proves: no SQL literal in `Sources/` interpolates anything outside the allow-list, so values
/// reach SQL only as `$n` parameters. What it does not prove: SQL assembled by `+` or `joined()` from
/// non-literal pieces, or SQL in literals that do not look like SQL, would not be caught.
public struct SQLInterpolationScan: Sendable {
    /// One interpolation found in an SQL literal.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var expression: String
        public var allowed: Bool

        public var description: String { "\(file):\(line): \\(\(expression))\(allowed ? " (allowed)" : "")" }
    }

    /// File name suffix → interpolations allowed there, with why.
    public static let allowList: [String: [String: String]] = [
        "TierflowPostgres/BatchInsert.swift": [
            "table": "table name from the HopBatch constants",
            "names": "column names from the HopBatch constants",
            "selected": "column expressions built from the column list",
            "arrays": "$n placeholders with their array casts",
        ],
        "TierflowServices/Batch/BatchStore.swift": [
            "BatchStatus.columns": "a static column list (BatchStatus.swift)",
            "BatchStatus.qualifiedColumns": "the same static column list, table-qualified",
        ],
        "TierflowServices/KnowledgeBaseStore.swift": [
            "Self.columns": "a static column list",
            "guardClause": "one of two constant fragments (\"\" or a fixed kind = 'cache' condition)",
        ],
    ]

    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// Scans every `.swift` file under `root`.
    public func run() throws -> [Finding] {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw FaultSuiteError("cannot read \(root.path)")
        }
        var findings: [Finding] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            let relative = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            findings += Self.scan(text, file: relative)
        }
        return findings.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
    }

    /// The interpolations in SQL-looking literals of one file.
    static func scan(_ text: String, file: String) -> [Finding] {
        let allowed = allowList.first { file.hasSuffix($0.key) }?.value ?? [:]
        var findings: [Finding] = []
        for literal in literals(in: text) where looksLikeSQL(literal.content) {
            for expression in interpolations(in: literal.content, hashes: literal.hashes) {
                findings.append(Finding(file: file, line: literal.line, expression: expression, allowed: allowed[expression] != nil))
            }
        }
        return findings
    }

    static let statementStart = try! NSRegularExpression(
        pattern: #"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|GRANT|REVOKE|TRUNCATE|LISTEN|UNLISTEN|NOTIFY|COPY|SET|DO)\b"#)
    static let clauses = ["SELECT ", " FROM ", " WHERE ", "INSERT INTO", " VALUES", "UPDATE ", " SET ", " JOIN ", "ON CONFLICT", "RETURNING"]

    static func looksLikeSQL(_ text: String) -> Bool {
        if statementStart.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { return true }
        return clauses.filter { text.contains($0) }.count >= 2
    }

    struct Literal {
        var content: String
        var line: Int
        var hashes: Int
    }

    /// String literals of Swift source, comments skipped. Nested literals inside interpolations are part
    /// of their enclosing literal's content.
    static func literals(in text: String) -> [Literal] {
        let chars = Array(text.unicodeScalars)
        var result: [Literal] = []
        var index = 0
        var line = 1
        func at(_ offset: Int) -> Unicode.Scalar? { index + offset < chars.count ? chars[index + offset] : nil }
        while index < chars.count {
            let c = chars[index]
            if c == "\n" { line += 1; index += 1; continue }
            if c == "/" && at(1) == "/" {
                while index < chars.count && chars[index] != "\n" { index += 1 }
                continue
            }
            if c == "/" && at(1) == "*" {
                index += 2
                while index < chars.count && !(chars[index] == "*" && at(1) == "/") {
                    if chars[index] == "\n" { line += 1 }
                    index += 1
                }
                index += 2
                continue
            }
            if c == "#" || c == "\"" {
                var hashes = 0
                var probe = index
                while probe < chars.count && chars[probe] == "#" { hashes += 1; probe += 1 }
                guard probe < chars.count && chars[probe] == "\"" else { index += 1; continue }
                let multi = probe + 2 < chars.count && chars[probe + 1] == "\"" && chars[probe + 2] == "\""
                let quote = multi ? 3 : 1
                let startLine = line
                index = probe + quote
                var content = String.UnicodeScalarView()
                var depth = 0  // inside \( … )
                while index < chars.count {
                    let d = chars[index]
                    if depth == 0 && d == "\"" {
                        let closesQuotes = (0..<quote).allSatisfy { index + $0 < chars.count && chars[index + $0] == "\"" }
                        let closesHashes = (0..<hashes).allSatisfy { index + quote + $0 < chars.count && chars[index + quote + $0] == "#" }
                        if closesQuotes && closesHashes {
                            index += quote + hashes
                            break
                        }
                    }
                    if d == "\\" && hashes == 0 && depth == 0 && at(1) != "(" {
                        content.append(d)
                        if let next = at(1) { content.append(next) }
                        index += 2
                        continue
                    }
                    if d == "(" && depth > 0 { depth += 1 }
                    if d == ")" && depth > 0 { depth -= 1 }
                    if d == "\\" && at(1 + hashes) == "(" && (1...max(1, hashes)).allSatisfy({ hashes == 0 || at($0) == "#" }) {
                        depth += 1
                        content.append(contentsOf: "\\(".unicodeScalars)
                        index += 2 + hashes
                        continue
                    }
                    if d == "\n" { line += 1 }
                    content.append(d)
                    index += 1
                }
                result.append(Literal(content: String(content), line: startLine, hashes: hashes))
                continue
            }
            index += 1
        }
        return result
    }

    /// The expressions interpolated in a literal's content (normalised `\(` markers).
    static func interpolations(in content: String, hashes: Int) -> [String] {
        var expressions: [String] = []
        var rest = Substring(content)
        while let start = rest.range(of: "\\(") {
            var depth = 1
            var end = start.upperBound
            while end < rest.endIndex && depth > 0 {
                if rest[end] == "(" { depth += 1 }
                if rest[end] == ")" { depth -= 1 }
                if depth > 0 { end = rest.index(after: end) }
            }
            expressions.append(String(rest[start.upperBound..<end]).trimmingCharacters(in: .whitespaces))
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
        }
        return expressions
    }
}
