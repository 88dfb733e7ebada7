import Foundation

/// The rows a statement returned, copied out of libpq's result before it was freed.
/// Values are kept in PostgreSQL's text format and decoded by the typed accessors of ``PostgresRow``.
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// Column names, in result order.
    public var columns: [String] { lookup.names }
    /// Rows affected by INSERT/UPDATE/DELETE/... (`PQcmdTuples`), 0 when the command reports none.
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 3`.
    public let commandTag: String

    let lookup: ColumnLookup
    let values: [String?]

    init(columns: [String], values: [String?], affectedRows: Int, commandTag: String) {
        self.lookup = ColumnLookup(names: columns)
        self.values = values
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { lookup.names.isEmpty ? 0 : values.count / lookup.names.count }

    public subscript(position: Int) -> PostgresRow {
        let width = lookup.names.count
        return PostgresRow(lookup: lookup, values: values[(position * width)..<((position + 1) * width)])
    }
}

/// One row; typed accessors return nil for SQL NULL and throw when the value does not decode.
public struct PostgresRow: Sendable {
    let lookup: ColumnLookup
    let values: ArraySlice<String?>

    /// Column names, in result order.
    public var columns: [String] { lookup.names }

    /// The raw text of column `column`, nil for NULL.
    public func string(_ column: String) throws -> String? { try values[values.startIndex + index(of: column)] }
    /// The raw text of the column at `position`, nil for NULL.
    public func string(at position: Int) -> String? { values[values.startIndex + position] }
    /// Whether column `column` is NULL.
    public func isNull(_ column: String) throws -> Bool { try string(column) == nil }

    /// An integer column (`smallint`, `integer`, `bigint`).
    public func int(_ column: String) throws -> Int? { try decode(column, as: "integer") { Int($0) } }
    /// A floating-point or numeric column.
    public func double(_ column: String) throws -> Double? {
        try decode(column, as: "double") { text in
            switch text {
            case "NaN": .nan
            case "Infinity": .infinity
            case "-Infinity": -.infinity
            default: Double(text)
            }
        }
    }
    /// A `boolean` column.
    public func bool(_ column: String) throws -> Bool? {
        try decode(column, as: "boolean") { $0 == "t" ? true : $0 == "f" ? false : nil }
    }
    /// A `timestamptz`, `timestamp` (read as UTC) or `date` column.
    public func date(_ column: String) throws -> Date? { try decode(column, as: "timestamp") { PostgresDateFormat.date(from: $0) } }
    /// A `bytea` column.
    public func bytes(_ column: String) throws -> [UInt8]? { try decode(column, as: "bytea") { PostgresBytea.decode($0) } }

    private func index(of column: String) throws -> Int {
        guard let index = lookup.indexByName[column] else {
            throw PostgresError(
                code: .columnNotFound, message: "no column \"\(column)\" in result",
                context: ["db.columns": lookup.names.joined(separator: ",")])
        }
        return index
    }

    private func decode<T>(_ column: String, as type: String, _ parse: (String) -> T?) throws -> T? {
        guard let text = try string(column) else { return nil }
        guard let value = parse(text) else {
            throw PostgresError(
                code: .decodingFailed, message: "column \"\(column)\" is not a valid \(type): \(text.prefix(64))",
                context: ["db.column": column])
        }
        return value
    }
}

/// Column names and a name → position index, shared by all rows of one result.
final class ColumnLookup: Sendable {
    let names: [String]
    let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.indexByName = index
    }
}
