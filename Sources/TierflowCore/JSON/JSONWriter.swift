import struct Foundation.Date

/// Writes compact JSON into a byte buffer, for the message types every hop encodes.
///
/// Foundation's `JSONEncoder` goes through `Codable`'s generic containers and costs several microseconds per
/// envelope; the pipeline's own types write themselves with this instead (see ``JSONFastCodable``). A
/// non-finite number cannot be written as JSON: the writer records it in ``failed`` and callers fall back
/// to `JSONEncoder`, which reports it.
public struct JSONWriter: ~Copyable {
    private var out: ByteWriter
    /// A value could not be written (a NaN or infinite number).
    public private(set) var failed = false
    private var needsComma = false

    public init(capacity: Int = 1024) {
        out = ByteWriter(capacity: capacity)
    }

    /// The JSON text so far.
    public var bytes: [UInt8] {
        out.bytes
    }

    /// Opens an object: `{`.
    public mutating func beginObject() {
        separate()
        append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes an object: `}`.
    public mutating func endObject() {
        append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Opens an array: `[`.
    public mutating func beginArray() {
        separate()
        append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Closes an array: `]`.
    public mutating func endArray() {
        append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes an object key (a plain ASCII name from the schema, written as is).
    public mutating func key(_ name: StaticString) {
        let length = name.utf8CodeUnitCount
        let comma = needsComma
        out.write(atMost: length + 4) { target in
            var position = 0
            if comma {
                target[0] = UInt8(ascii: ",")
                position = 1
            }
            target[position] = UInt8(ascii: "\"")
            (target + position + 1).update(from: name.utf8Start, count: length)
            target[position + length + 1] = UInt8(ascii: "\"")
            target[position + length + 2] = UInt8(ascii: ":")
            return position + length + 3
        }
        needsComma = false
    }

    /// Writes an object key from text (escaped like any string).
    public mutating func key(_ name: String) {
        string(name)
        append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a string value, escaping quotes, backslashes and control characters.
    public mutating func string(_ value: String) {
        separate()
        append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            while let index = JSONStringBytes.firstSpecial(in: utf8, from: start) {
                append(UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscaped(utf8[index])
                start = index + 1
            }
            append(UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes an integer.
    public mutating func int(_ value: Int) {
        separate()
        out.write(atMost: 20) { target in
            let sign = value < 0 ? 1 : 0
            if value < 0 { target[0] = UInt8(ascii: "-") }
            var magnitude = value.magnitude
            var digits = 1
            var scale: UInt = 10
            while digits < 19, magnitude >= scale {  // an Int has at most 19 digits
                digits += 1
                scale &*= 10
            }
            for position in stride(from: sign + digits - 1, through: sign, by: -1) {
                target[position] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
            }
            return sign + digits
        }
        needsComma = true
    }

    /// Writes a number in its shortest form that reads back exactly (`2.5`, `3`, `1e-05`).
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            separate()
            failed = true
            append(UInt8(ascii: "0"))
            needsComma = true
            return
        }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            int(Int(value))  // JSONEncoder writes integral doubles without a fraction too
        } else {
            separate()
            appendASCII(value.description)
            needsComma = true
        }
    }

    /// Writes a time as ``Timestamp/format(_:)`` does (`"2026-11-23T17:48:35.123Z"`).
    public mutating func date(_ value: Date) {
        separate()
        var written = false
        out.write(atMost: Timestamp.commonFormLength + 2) { target in
            guard Timestamp.writeCommonForm(value, to: target + 1) else { return 0 }
            written = true
            target[0] = UInt8(ascii: "\"")
            target[Timestamp.commonFormLength + 1] = UInt8(ascii: "\"")
            return Timestamp.commonFormLength + 2
        }
        if !written {
            append(UInt8(ascii: "\""))
            appendASCII(Timestamp.format(value))
            append(UInt8(ascii: "\""))
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

    // MARK: Internals

    private mutating func separate() {
        if needsComma { append(UInt8(ascii: ",")) }
    }

    private mutating func append(_ byte: UInt8) {
        out.append(byte)
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        out.append(bytes)
    }

    private mutating func appendASCII(_ text: String) {
        out.append(utf8: text)
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): append(UInt8(ascii: "\\"))
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        case 0x08: append(UInt8(ascii: "b"))
        case 0x0C: append(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            append(UInt8(ascii: "u"))
            append(UInt8(ascii: "0"))
            append(UInt8(ascii: "0"))
            append(hex.utf8Start[Int(byte >> 4)])
            append(hex.utf8Start[Int(byte & 0x0F)])
        }
    }
}
