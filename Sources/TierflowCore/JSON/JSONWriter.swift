#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import struct Foundation.Date

/// Writes compact JSON into a byte buffer, for the message types every hop encodes.
///
/// Foundation's `JSONEncoder` goes through `Codable`'s generic containers and costs several microseconds per
/// envelope; the pipeline's own types write themselves with this instead (see ``JSONFastCodable``). A
/// non-finite number cannot be written as JSON: the writer records it in ``failed`` and callers fall back
/// to `JSONEncoder`, which reports it.
///
/// The writer owns a growable buffer and appends with `memcpy`: an envelope is a few hundred small appends, and
/// `Array.append(contentsOf:)` cost about a hundred instructions each.
public struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// A value could not be written (a NaN or infinite number).
    public private(set) var failed = false
    private var needsComma = false

    public init(capacity: Int = 1024) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    /// The JSON text so far.
    public var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
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
        reserve(length + 4)
        if needsComma { put(UInt8(ascii: ",")) }
        put(UInt8(ascii: "\""))
        (base + count).update(from: name.utf8Start, count: length)
        count += length
        put(UInt8(ascii: "\""))
        put(UInt8(ascii: ":"))
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
        reserve(20)
        if value < 0 { put(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var scale: UInt = 10
        while digits < 20, magnitude >= scale {
            digits += 1
            if digits < 20 { scale &*= 10 }
        }
        for position in stride(from: count + digits - 1, through: count, by: -1) {
            base[position] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
            magnitude /= 10
        }
        count += digits
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
        reserve(Timestamp.commonFormLength + 3)
        separate()
        put(UInt8(ascii: "\""))
        if Timestamp.writeCommonForm(value, to: base + count) {
            count += Timestamp.commonFormLength
        } else {
            appendASCII(Timestamp.format(value))
        }
        append(UInt8(ascii: "\""))
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

    /// Makes room for `extra` more bytes.
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let newCapacity = Swift.max(capacity * 2, count + extra)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// Appends a byte there is room for.
    private mutating func put(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    private mutating func append(_ byte: UInt8) {
        reserve(1)
        put(byte)
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    private mutating func appendASCII(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        reserve(6)
        put(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): put(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): put(UInt8(ascii: "\\"))
        case 0x0A: put(UInt8(ascii: "n"))
        case 0x0D: put(UInt8(ascii: "r"))
        case 0x09: put(UInt8(ascii: "t"))
        case 0x08: put(UInt8(ascii: "b"))
        case 0x0C: put(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            put(UInt8(ascii: "u"))
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "0"))
            put(hex.utf8Start[Int(byte >> 4)])
            put(hex.utf8Start[Int(byte & 0x0F)])
        }
    }
}
