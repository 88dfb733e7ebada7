import Foundation
import TierflowCore

/// Streams the records of a CSV or JSON Lines export from a resume point, one at a time: a bad line
/// becomes an item with its line number and reason, never an error that stops the batch.
///
/// CSV: the first line is the header; a quoted field may span lines (the record keeps its first line's
/// number). Blank lines are skipped. Not `Sendable`: one task owns it.
public final class BatchSource {
    /// The file's format, from its extension (`.csv`; anything else is JSON Lines) unless given.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case csv, jsonl

        public init(path: String) {
            self = path.lowercased().hasSuffix(".csv") ? .csv : .jsonl
        }
    }

    /// A CSV record may span at most this many physical lines (an unclosed quote otherwise eats the file).
    public static let maxRecordLines = 200

    public let path: String
    public let format: Format
    public let decoder: BatchRecordDecoder
    /// The CSV header (empty for JSON Lines).
    public let header: [String]
    private let reader: BatchFileReader

    /// Opens `path` at the resume point (`offset`, whose line is `line`; 0 and 1 for the start).
    public init(path: String, format: Format, mapping: BatchMapping, offset: Int64 = 0, line: Int = 1) throws(BatchInputError) {
        self.path = path
        self.format = format
        decoder = BatchRecordDecoder(mapping: mapping)
        var start = (offset, line)
        if format == .csv {
            let headReader = try BatchFileReader(path: path)
            guard let first = try headReader.next(), case .fields(let names) = CSVRecordParser.parse(Self.text(first.bytes)),
                !names.allSatisfy(\.isEmpty)
            else {
                throw BatchInputError(.missingHeader, "a CSV export needs a header line naming its columns", file: path, line: 1)
            }
            header = names.map { $0.trimmingCharacters(in: .whitespaces) }
            let unsatisfied = mapping.unsatisfied(header: header)
            guard unsatisfied.isEmpty else {
                throw BatchInputError(
                    .invalidMapping,
                    "no column for \(unsatisfied.joined(separator: ", ")) (header: \(header.joined(separator: ", "))); use --map FIELD=COLUMN or --set FIELD=VALUE",
                    file: path, line: 1)
            }
            if offset == 0 { start = (first.endOffset, 2) }
        } else {
            header = []
        }
        reader = try BatchFileReader(path: path, offset: start.0, line: start.1)
    }

    /// The next record or skipped line, or nil at the end of the file.
    public func next() throws(BatchInputError) -> BatchItem? {
        while let first = try reader.next() {
            if first.bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            switch format {
            case .jsonl:
                return item(first, end: first, record: decodeJSON(first.bytes, line: first.number))
            case .csv:
                var text = Self.text(first.bytes)
                var last = first
                var lines = 1
                while true {
                    switch CSVRecordParser.parse(text) {
                    case .fields(let fields):
                        return item(first, end: last, record: decodeCSV(fields, line: first.number))
                    case .invalid(let reason):
                        return item(first, end: last, record: .failure(BatchInputError(.malformedLine, "not valid CSV: \(reason)", line: first.number)))
                    case .incomplete:
                        guard lines < Self.maxRecordLines, let more = try reader.next() else {
                            return item(first, end: last, record: .failure(BatchInputError(.malformedLine, "not valid CSV: a quoted field is never closed", line: first.number)))
                        }
                        text += "\n" + Self.text(more.bytes)
                        last = more
                        lines += 1
                    }
                }
            }
        }
        return nil
    }

    private func item(_ first: BatchFileReader.Line, end: BatchFileReader.Line, record: Result<BatchRecord, BatchInputError>) -> BatchItem {
        var record = record
        if case .failure(var error) = record {
            error.file = path
            record = .failure(error)
        }
        return BatchItem(line: first.number, endOffset: end.endOffset, nextLine: end.number + 1, record: record)
    }

    private func decodeCSV(_ fields: [String], line: Int) -> Result<BatchRecord, BatchInputError> {
        guard fields.count == header.count else {
            return .failure(BatchInputError(.malformedLine, "\(fields.count) columns; the header has \(header.count)", line: line))
        }
        var columns: [String: String] = [:]
        for (name, value) in zip(header, fields) where columns[name] == nil { columns[name] = value }
        return Result { () throws(BatchInputError) in try decoder.decode(columns, line: line) }
    }

    private func decodeJSON(_ bytes: [UInt8], line: Int) -> Result<BatchRecord, BatchInputError> {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return .failure(BatchInputError(.malformedLine, "not valid UTF-8", line: line))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return .failure(BatchInputError(.malformedLine, "not a JSON object", line: line))
        }
        var columns: [String: String] = [:]
        BatchRecordDecoder.flatten(object, into: &columns)
        return Result { () throws(BatchInputError) in try decoder.decode(columns, line: line) }
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
