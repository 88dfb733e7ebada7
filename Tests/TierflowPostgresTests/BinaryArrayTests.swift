import Foundation
import Testing

@testable import TierflowPostgres

/// The hop log's `unnest` arrays go out in binary format; the server must read exactly what the text
/// literal gave it, element for element, NULLs and awkward values included.
@Suite("Binary arrays (live)", .enabled(if: LiveDatabase.isEnabled))
struct BinaryArrayTests {
    /// Columns of every type the hop log casts to, with values that stress each encoding.
    static let columns: [(type: String, values: [PostgresValue])] = [
        ("text", [.string("plain"), .string(""), .string("NULL"), .string(#"quote " back\slash {brace,}"#), .null,
                  .string("nul\u{0}inside"), .string("Grüße 世界 🚀")]),
        ("int", [.int(0), .int(-1), .int(Int(Int32.max)), .int(Int(Int32.min)), .null, .int(7), .int(42)]),
        ("float8", [.double(0), .double(-2.5), .double(1e-300), .double(.pi), .double(.nan), .null, .double(.infinity)]),
        ("boolean", [.bool(true), .bool(false), .null, .bool(true), .bool(false), .bool(true), .null]),
        ("timestamptz", [
            .date(Date(timeIntervalSince1970: 1_714_567_890.123456)), .date(Date(timeIntervalSince1970: 0)),
            .date(Date(timeIntervalSince1970: 946_684_799.999999)), .null, .date(Date(timeIntervalSince1970: -1_000_000_000.5)),
            .date(Date(timeIntervalSince1970: 4_102_444_800)), .date(Date(timeIntervalSince1970: 946_684_800)),
        ]),
        ("jsonb", [.json(#"{"b": [1, 2], "a": "ü"}"#), .json("null"), .null, .json(#"{"x": "\u0000"}"#), .json("[]"),
                   .json(#""text""#), .json("3.5")]),
        ("bytea", [.bytes([]), .bytes([0, 1, 255]), .null, .bytes(Array("abc".utf8)), .bytes([92, 120]), .bytes([0]), .bytes([7])]),
    ]

    @Test("every element type reads back as the text literal's does")
    func sameAsText() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        for column in Self.columns {
            let binary = PostgresValue.array(column.values, sqlType: column.type)
            guard case .binary = binary.storage else {
                Issue.record("\(column.type) fell back to the text literal")
                continue
            }
            let sql = "SELECT u::text AS value, ordinality FROM unnest($1::\(column.type)[]) WITH ORDINALITY AS t(u, ordinality) ORDER BY ordinality"
            let fromBinary = try await connection.query(sql, [binary])
            let fromText = try await connection.query(sql, [.array(column.values)])
            #expect(fromBinary.count == column.values.count, "\(column.type)")
            for (b, t) in zip(fromBinary, fromText) {
                #expect(try b.string("value") == t.string("value"), "\(column.type)")
            }
        }
    }

    @Test("values binary cannot carry exactly fall back to the text literal")
    func fallbacks() {
        func isBinary(_ value: PostgresValue) -> Bool { if case .binary = value.storage { true } else { false } }
        #expect(!isBinary(.array([.int(Int(Int32.max) + 1)], sqlType: "int")), "beyond int4")
        #expect(!isBinary(.array([.string("x")], sqlType: "int")), "another kind of value")
        #expect(!isBinary(.array([.string("x")], sqlType: "varchar")), "an element type it does not know")
        #expect(isBinary(.array([], sqlType: "text")), "an empty array is fine")
        #expect(isBinary(.array([.null, .null], sqlType: "float8")), "all NULL is fine")
    }

    @Test("an empty binary array and an all-NULL one are read as such")
    func emptyAndNull() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            "SELECT cardinality($1::text[]) AS empty, array_length($2::int[], 1) AS nulls, ($2::int[])[2] IS NULL AS second_null",
            [.array([], sqlType: "text"), .array([.null, .null], sqlType: "int")])
        #expect(try rows.first?.int("empty") == 0)
        #expect(try rows.first?.int("nulls") == 2)
        #expect(try rows.first?.bool("second_null") == true)
    }
}
