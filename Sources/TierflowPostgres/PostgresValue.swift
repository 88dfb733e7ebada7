import Foundation
import TierflowCore

/// A statement parameter. Text format for everything except `bytes` (binary `bytea`) and the hop log's typed arrays.
///
/// Strings and JSON pass through ``sanitised(_:)`` / ``sanitisedJSON(_:)`` when encoded: PostgreSQL refuses
/// U+0000 in `text` and `jsonb`, and libpq would silently truncate a text parameter at a NUL byte. So every
/// NUL in a `.string`/`.json` parameter (and in array elements) becomes U+FFFD before it leaves the process.
public struct PostgresValue: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case null
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case date(Date)
        case bytes([UInt8])
        case json(String)
        case array([PostgresValue])
        /// Bytes already in a type's binary format (sent with format 1, type inferred from the SQL).
        case binary([UInt8])
    }

    let storage: Storage

    /// SQL NULL.
    public static let null = PostgresValue(storage: .null)
    /// A text value (type inferred by the server from context: `text`, `varchar`, enums, ...).
    public static func string(_ value: String?) -> PostgresValue { value.map { .init(storage: .string($0)) } ?? .null }
    /// A 64-bit integer, sent as `int8` (assignable to `integer` columns).
    public static func int(_ value: Int?) -> PostgresValue { value.map { .init(storage: .int(Int64($0))) } ?? .null }
    /// A 64-bit integer, sent as `int8`.
    public static func int64(_ value: Int64?) -> PostgresValue { value.map { .init(storage: .int($0)) } ?? .null }
    /// A `float8`.
    public static func double(_ value: Double?) -> PostgresValue { value.map { .init(storage: .double($0)) } ?? .null }
    /// A `boolean`.
    public static func bool(_ value: Bool?) -> PostgresValue { value.map { .init(storage: .bool($0)) } ?? .null }
    /// A `timestamptz`, sent as ISO-8601 UTC with microseconds.
    public static func date(_ value: Date?) -> PostgresValue { value.map { .init(storage: .date($0)) } ?? .null }
    /// A `bytea`, sent in binary format.
    public static func bytes(_ value: [UInt8]?) -> PostgresValue { value.map { .init(storage: .bytes($0)) } ?? .null }
    /// JSON text. Write `$n::jsonb` in SQL unless the column type already says so.
    public static func json(_ value: String?) -> PostgresValue { value.map { .init(storage: .json($0)) } ?? .null }
    /// An array literal (`{...}`, text format); cast it in SQL, e.g. `unnest($1::text[])`. Elements may be NULL.
    public static func array(_ elements: [PostgresValue]) -> PostgresValue { .init(storage: .array(elements)) }
    /// An array of `sqlType` elements (`text`, `int`, `float8`, `boolean`, `timestamptz`, `jsonb`, `bytea`) in
    /// binary format where every element allows it, else the text literal of ``array(_:)``.
    static func array(_ elements: [PostgresValue], sqlType: String) -> PostgresValue {
        PostgresBinaryArray.encode(elements, sqlType: sqlType).map { .init(storage: .binary($0)) } ?? .array(elements)
    }

    /// `text` with every U+0000 replaced by U+FFFD (the replacement character).
    public static func sanitised(_ text: String) -> String {
        guard contains(text, byte: 0) else { return text }
        return text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }

    /// JSON text with NUL removed in both forms `jsonb` refuses: raw U+0000 and the escape `\u0000`
    /// (each becomes U+FFFD / `\ufffd`). Escaped backslashes (`\\u0000`) are left alone.
    public static func sanitisedJSON(_ json: String) -> String {
        let text = sanitised(json)
        guard contains(text, byte: UInt8(ascii: "\\")), hasEscapedNul(text) else { return text }
        var bytes = Array(text.utf8)
        var index = 0
        var changed = false
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count else { index += 1; continue }
            if bytes[index + 1] == UInt8(ascii: "u"), index + 5 < bytes.count,
               bytes[(index + 2)...(index + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                bytes.replaceSubrange((index + 2)...(index + 5), with: Array("fffd".utf8))
                changed = true
            }
            index += 2
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// Whether the UTF-8 of `text` holds `byte` (memchr over native strings; every hop row goes through this).
    static func contains(_ text: String, byte: UInt8) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable({ ByteSearch.firstIndex(of: byte, in: $0) != nil }) {
            return found
        }
        return text.utf8.contains(byte)
    }

    /// Whether `text` may hold the escape `\u0000` (a cheap pre-check; ``sanitisedJSON(_:)`` decides exactly).
    private static func hasEscapedNul(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            var index = 0
            while index + 5 < utf8.count {
                if utf8[index] == UInt8(ascii: "\\"), utf8[index + 1] == UInt8(ascii: "u"), utf8[index + 2] == 0x30,
                    utf8[index + 3] == 0x30, utf8[index + 4] == 0x30, utf8[index + 5] == 0x30 {
                    return true
                }
                index += 1
            }
            return false
        }
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self.init(storage: .string(value)) }
    public init(integerLiteral value: Int) { self.init(storage: .int(Int64(value))) }
    public init(floatLiteral value: Double) { self.init(storage: .double(value)) }
    public init(booleanLiteral value: Bool) { self.init(storage: .bool(value)) }
    public init(nilLiteral: ()) { self.init(storage: .null) }
}

extension PostgresValue {
    /// Type OIDs we declare; 0 lets the server infer the type from context.
    enum TypeOID {
        static let unspecified: UInt32 = 0
        static let bool: UInt32 = 16
        static let bytea: UInt32 = 17
        static let int8: UInt32 = 20
        static let float8: UInt32 = 701
        static let timestamptz: UInt32 = 1184
    }

    /// The declared parameter type.
    var typeOID: UInt32 {
        switch storage {
        case .null, .string, .json, .array, .binary: TypeOID.unspecified
        case .int: TypeOID.int8
        case .double: TypeOID.float8
        case .bool: TypeOID.bool
        case .date: TypeOID.timestamptz
        case .bytes: TypeOID.bytea
        }
    }

    /// The wire bytes (text values without the terminating NUL), or nil for NULL; `isBinary` for `bytea`.
    var wireBytes: (bytes: [UInt8], isBinary: Bool)? {
        switch storage {
        case .null: return nil
        case .bytes(let bytes): return (bytes, true)
        case .binary(let bytes): return (bytes, true)
        case .array(let elements):
            var buffer: [UInt8] = []
            Self.appendArrayLiteral(elements, to: &buffer)
            return (buffer, false)
        default: return textRepresentation.map { (Array($0.utf8), false) }
        }
    }

    /// The text-format representation (`bytea` as `\x` hex), or nil for NULL.
    var textRepresentation: String? {
        switch storage {
        case .null: return nil
        case .string(let value): return Self.sanitised(value)
        case .json(let value): return Self.sanitisedJSON(value)
        case .int(let value): return String(value)
        case .double(let value):
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
            return value.description
        case .bool(let value): return value ? "t" : "f"
        case .date(let value): return PostgresDateFormat.string(from: value)
        case .bytes(let value): return PostgresBytea.hexString(value)
        case .binary(let value): return PostgresBytea.hexString(value)
        case .array(let elements):
            var buffer: [UInt8] = []
            Self.appendArrayLiteral(elements, to: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    /// Appends `{"a","b\"c",NULL}`: elements quoted, `"` and `\` escaped (both ASCII, so byte-wise is safe).
    private static func appendArrayLiteral(_ elements: [PostgresValue], to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        for (index, element) in elements.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            switch element.storage {
            case .null:
                buffer.append(contentsOf: "NULL".utf8)
            case .array(let nested):
                appendArrayLiteral(nested, to: &buffer)
            default:
                buffer.append(UInt8(ascii: "\""))
                var text = element.textRepresentation!
                text.withUTF8 { utf8 in
                    // Copy runs between the bytes that need a backslash, not byte by byte.
                    var start = 0
                    for index in 0..<utf8.count where utf8[index] == UInt8(ascii: "\"") || utf8[index] == UInt8(ascii: "\\") {
                        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                        buffer.append(UInt8(ascii: "\\"))
                        start = index
                    }
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
                }
                buffer.append(UInt8(ascii: "\""))
            }
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
