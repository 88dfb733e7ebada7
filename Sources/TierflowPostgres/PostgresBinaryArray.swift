import Foundation
import TierflowCore

/// One-dimensional arrays in PostgreSQL's binary format (`array_recv`), for the hop log's `unnest` inserts.
///
/// The text literal (`{"a","b"}`) costs the server `array_in` (quoting, escaping) plus each element's text
/// parser (`timestamptz_in`, `float8in`, …) for every row; the binary form is length-prefixed elements the
/// server copies. Encoding refuses (returns nil) anything it cannot write exactly, and the caller falls back
/// to the text literal: an unknown element type, a value of another kind, an integer beyond `int4`.
enum PostgresBinaryArray {
    /// The element type OID of the SQL type names ``BatchInsert`` casts to.
    static func elementOID(ofSQLType type: String) -> UInt32? {
        switch type {
        case "text": 25
        case "int": 23
        case "float8": 701
        case "boolean": 16
        case "timestamptz": 1184
        case "jsonb": 3802
        case "bytea": 17
        default: nil
        }
    }

    /// The array of `elements` (each NULL or of the kind `type` takes), or nil to fall back to text.
    static func encode(_ elements: [PostgresValue], sqlType type: String) -> [UInt8]? {
        guard let oid = elementOID(ofSQLType: type) else { return nil }
        var out = ByteWriter(capacity: 20 + elements.count * 16)
        out.appendBigEndian(Int32(elements.isEmpty ? 0 : 1))  // dimensions
        out.appendBigEndian(Int32(elements.contains { $0.storage == .null } ? 1 : 0))  // has NULLs
        out.appendBigEndian(UInt32(oid))
        if !elements.isEmpty {
            out.appendBigEndian(Int32(elements.count))  // length of the dimension
            out.appendBigEndian(Int32(1))  // lower bound
        }
        for element in elements {
            switch (element.storage, oid) {
            case (.null, _):
                out.appendBigEndian(Int32(-1))
            case (.string(let text), 25):
                appendElement(PostgresValue.sanitised(text), to: &out)
            case (.int(let value), 23):
                guard let small = Int32(exactly: value) else { return nil }
                out.appendBigEndian(Int32(4))
                out.appendBigEndian(small)
            case (.double(let value), 701):
                out.appendBigEndian(Int32(8))
                out.appendBigEndian(value.bitPattern)
            case (.bool(let value), 16):
                out.appendBigEndian(Int32(1))
                out.append(value ? 1 : 0)
            case (.date(let date), 1184):
                out.appendBigEndian(Int32(8))
                out.appendBigEndian(microsecondsSince2000(date))
            case (.json(let text), 3802):
                appendElement(PostgresValue.sanitisedJSON(text), versionByte: 1, to: &out)  // jsonb format version 1
            case (.bytes(let bytes), 17):
                out.appendBigEndian(Int32(bytes.count))
                bytes.withUnsafeBufferPointer { out.append($0) }
            default:
                return nil
            }
        }
        return out.bytes
    }

    /// `timestamptz`'s binary value: microseconds since 2000-01-01 00:00 UTC, rounded as the text form rounds.
    static func microsecondsSince2000(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) - 946_684_800_000_000
    }

    /// A text element's length and UTF-8 bytes, after an optional format version byte, copied straight from
    /// the string (no intermediate array per element).
    private static func appendElement(_ text: String, versionByte: UInt8? = nil, to out: inout ByteWriter) {
        out.appendBigEndian(Int32(text.utf8.count + (versionByte == nil ? 0 : 1)))
        if let versionByte { out.append(versionByte) }
        out.append(utf8: text)
    }
}
