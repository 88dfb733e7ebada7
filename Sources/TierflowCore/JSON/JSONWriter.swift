/// Writes compact JSON into a byte buffer, for the message types every hop encodes.
///
/// Foundation's `JSONEncoder` goes through `Codable`'s generic containers and costs several microseconds per
/// envelope; the pipeline's own types write themselves with this instead (see ``JSONFastCodable``). A
/// non-finite number cannot be written as JSON: the writer records it in ``failed`` and callers fall back
/// to `JSONEncoder`, which reports it.
public struct JSONWriter: Sendable {
    /// The JSON text so far.
    public private(set) var bytes: [UInt8]
    /// A value could not be written (a NaN or infinite number).
    public private(set) var failed = false
    private var needsComma = false

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Opens an object: `{`.
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes an object: `}`.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Opens an array: `[`.
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Closes an array: `]`.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes an object key (a plain ASCII name from the schema, written as is).
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes an object key from text (escaped like any string).
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a string value, escaping quotes, backslashes and control characters.
    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                appendEscaped(byte)
                start = index + 1
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes an integer.
    public mutating func int(_ value: Int) {
        separate()
        appendASCII(String(value))
        needsComma = true
    }

    /// Writes a number in its shortest form that reads back exactly (`2.5`, `3`, `1e-05`).
    public mutating func double(_ value: Double) {
        separate()
        guard value.isFinite else {
            failed = true
            bytes.append(UInt8(ascii: "0"))
            needsComma = true
            return
        }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            appendASCII(String(Int(value)))  // JSONEncoder writes integral doubles without a fraction too
        } else {
            appendASCII(value.description)
        }
        needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        appendASCII(value ? "true" : "false")
        needsComma = true
    }

    /// Writes `null`.
    public mutating func null() {
        separate()
        appendASCII("null")
        needsComma = true
    }

    // MARK: Keyed helpers

    /// `"name": value`, or nothing when `value` is nil (as `Codable`'s `encodeIfPresent`).
    public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        double(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: (some JSONFastEncodable)?) {
        guard let value else { return }
        key(name)
        value.writeJSON(to: &self)
    }

    /// `"name": [values…]`, or nothing when `values` is nil.
    public mutating func field(_ name: StaticString, _ values: [some JSONFastEncodable]?) {
        guard let values else { return }
        key(name)
        beginArray()
        for value in values { value.writeJSON(to: &self) }
        endArray()
    }

    /// `"name": ["text", …]`, or nothing when `values` is nil.
    public mutating func field(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// `"name": {"key": number, …}`, or nothing when `values` is nil.
    public mutating func field(_ name: StaticString, _ values: [String: Double]?) {
        guard let values else { return }
        key(name)
        beginObject()
        for (key, value) in values {
            self.key(key)
            double(value)
        }
        endObject()
    }

    // MARK: Internals

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendASCII(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }
    }
}
