import Foundation
import TierflowCore

/// Reads knowledge-base files: JSON Lines or CSV with a header.
///
/// Columns / keys: `fault_code`, `asset_class`, `tag`, `asset`, `question` (or `title`), `answer`, `source`,
/// `valid_until` (ISO 8601), `key` (optional; derived from fault code, asset class, tag and asset, or from
/// the question). Hyphens may stand for underscores (`valid-until`). Every bad line is reported with its
/// number; good lines are kept.
public struct KnowledgeFileParser: Sendable {
    /// A line that could not be used.
    public struct LineError: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public init() {}

    /// The entries of `text` and the errors of its bad lines; `csv` chooses the format.
    public func parse(_ text: String, csv: Bool) -> (entries: [KnowledgeEntry], errors: [LineError]) {
        csv ? parseCSV(text) : parseJSONLines(text)
    }

    func parseJSONLines(_ text: String) -> (entries: [KnowledgeEntry], errors: [LineError]) {
        var entries: [KnowledgeEntry] = []
        var errors: [LineError] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                errors.append(LineError(line: index + 1, message: "not a JSON object"))
                continue
            }
            var fields: [String: String] = [:]
            for (key, value) in object {
                let name = Self.fieldName(key)
                if let text = value as? String { fields[name] = text } else if !(value is NSNull) { fields[name] = "\(value)" }
            }
            switch entry(from: fields) {
            case .success(let entry): entries.append(entry)
            case .failure(let message): errors.append(LineError(line: index + 1, message: message.text))
            }
        }
        return (entries, errors)
    }

    func parseCSV(_ text: String) -> (entries: [KnowledgeEntry], errors: [LineError]) {
        var rows = CSVReader.rows(text)
        guard !rows.isEmpty else { return ([], [LineError(line: 1, message: "the file is empty")]) }
        let header = rows.removeFirst().fields.map {
            Self.fieldName($0.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\u{FEFF}"))))
        }
        var entries: [KnowledgeEntry] = []
        var errors: [LineError] = []
        for row in rows where !(row.fields.count == 1 && row.fields[0].isEmpty) {
            guard row.fields.count == header.count else {
                errors.append(LineError(line: row.line, message: "expected \(header.count) columns, found \(row.fields.count)"))
                continue
            }
            let fields = Dictionary(zip(header, row.fields), uniquingKeysWith: { first, _ in first })
            switch entry(from: fields) {
            case .success(let entry): entries.append(entry)
            case .failure(let message): errors.append(LineError(line: row.line, message: message.text))
            }
        }
        return (entries, errors)
    }

    struct Message: Error { let text: String }

    /// `Valid-Until`, `valid until` → `valid_until`.
    static func fieldName(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
    }

    func entry(from fields: [String: String]) -> Result<KnowledgeEntry, Message> {
        func value(_ key: String) -> String? {
            guard let text = fields[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        guard let answer = value("answer") else { return .failure(Message(text: "\"answer\" is missing or empty")) }
        guard let question = value("question") ?? value("title") ?? value("fault_code") else {
            return .failure(Message(text: "needs a \"question\" (or \"title\") or a \"fault_code\""))
        }
        if answer.contains("\u{0}") || question.contains("\u{0}") { return .failure(Message(text: "NUL characters are not allowed")) }
        var validUntil: Date?
        if let text = value("valid_until") {
            guard let date = Timestamp.parse(text) else {
                return .failure(Message(text: "valid_until: expected an ISO 8601 time, got \"\(text)\""))
            }
            validUntil = date
        }
        if let key = value("key"), key.hasPrefix("cache:") {
            return .failure(Message(text: "key: \"cache:\" keys belong to the answer cache"))
        }
        let faultCode = value("fault_code")
        let assetClass = value("asset_class")?.lowercased()
        let tag = value("tag")
        let asset = value("asset")
        let key = value("key") ?? Self.key(faultCode: faultCode, assetClass: assetClass, tag: tag, asset: asset, question: question)
        return .success(KnowledgeEntry(
            key: key, kind: "kb", faultCode: faultCode, assetClass: assetClass, tag: tag, asset: asset, question: question,
            answer: answer, source: value("source"), validUntil: validUntil))
    }

    /// The upsert key: `kb:<fault code>:<asset class>:<tag>[:<asset>]` or `q:<normalised question>`.
    public static func key(faultCode: String?, assetClass: String?, tag: String?, asset: String? = nil, question: String) -> String {
        if let faultCode {
            return "kb:\(faultCode.uppercased()):\(assetClass ?? "*"):\(tag?.uppercased() ?? "*")" + (asset.map { ":\($0.uppercased())" } ?? "")
        }
        return "q:" + ExactMatcher.normalise(question)
    }
}

/// A small RFC 4180 CSV reader: quoted fields, doubled quotes, newlines inside quotes; reports line numbers.
enum CSVReader {
    struct Row {
        var line: Int
        var fields: [String]
    }

    static func rows(_ text: String) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var rowStart = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return iterator.next()
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = following }
                    } else {
                        quoted = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"": quoted = true
            case ",": fields.append(field); field = ""
            case "\r": continue
            case "\n":
                fields.append(field)
                rows.append(Row(line: rowStart, fields: fields))
                fields = []
                field = ""
                line += 1
                rowStart = line
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append(Row(line: rowStart, fields: fields))
        }
        return rows
    }
}
