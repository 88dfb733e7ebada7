import struct Foundation.Date

/// Why the fast JSON reader gave up; the caller then reads the message with `JSONDecoder`, which either reads
/// it after all or explains precisely what is wrong with it.
public struct JSONScanError: Error, Sendable {
    /// Byte offset where reading stopped.
    public var offset: Int
    public var reason: String
}

/// A strict, allocation-light JSON pull reader over UTF-8 bytes (already checked to be valid UTF-8).
///
/// It reads the subset our own messages use and refuses anything unusual — integers with a fraction, unpaired
/// surrogates, nesting deeper than 64 — so that the `JSONDecoder` fallback, not this reader, decides those cases.
public struct JSONScanner: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: Structure

    /// Reads an object, calling `body` with each key; `body` must read or skip the key's value.
    public mutating func object(_ body: (JSONKey, inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        try enter()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            let key: JSONKey
            switch try stringToken() {
            case .raw(let range): key = JSONKey(raw: UnsafeBufferPointer(rebasing: bytes[range]))
            case .unescaped(let text): key = JSONKey(unescaped: text)
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            try body(key, &self)
            skipWhitespace()
            guard let next = peek() else { throw fail("unterminated object") }
            index += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else { throw fail("expected , or }") }
        }
        depth -= 1
    }

    /// Reads an array, calling `body` once per element; `body` must read or skip the element.
    public mutating func array(_ body: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        try enter()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            try body(&self)
            skipWhitespace()
            guard let next = peek() else { throw fail("unterminated array") }
            index += 1
            if next == UInt8(ascii: "]") { break }
            guard next == UInt8(ascii: ",") else { throw fail("expected , or ]") }
        }
        depth -= 1
    }

    /// Succeeds only when nothing but whitespace follows.
    public mutating func end() throws {
        skipWhitespace()
        guard index == bytes.count else { throw fail("trailing characters") }
    }

    /// Consumes `null` and returns true, or returns false leaving any other value unread.
    public mutating func null() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    /// Whether the next value is a string (without consuming it).
    public mutating func nextIsString() -> Bool {
        skipWhitespace()
        return peek() == UInt8(ascii: "\"")
    }

    // MARK: Values

    /// Reads a string value.
    public mutating func string() throws -> String {
        switch try stringToken() {
        case .raw(let range): String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        case .unescaped(let text): text
        }
    }

    /// Reads an ISO 8601 time as ``Timestamp/parse(_:)`` does, the common form straight from the bytes.
    public mutating func date() throws -> Date {
        let date: Date?
        switch try stringToken() {
        case .raw(let range):
            let text = UnsafeBufferPointer(rebasing: bytes[range])
            date = Timestamp.parseCommonForm(text) ?? Timestamp.parse(String(decoding: text, as: UTF8.self))
        case .unescaped(let text):
            date = Timestamp.parse(text)
        }
        guard let date else { throw fail("bad time") }
        return date
    }

    /// Reads an integer (no fraction, no exponent).
    public mutating func int() throws -> Int {
        skipWhitespace()
        let (start, isInteger) = try numberSpan()
        guard isInteger else { throw fail("expected an integer") }
        let negative = bytes[start] == UInt8(ascii: "-")
        let digits = (negative ? start + 1 : start)..<index
        if digits.count <= 18 {  // below 10^18: no overflow
            var value = 0
            for position in digits { value = value &* 10 &+ Int(bytes[position] &- 0x30) }
            return negative ? -value : value
        }
        guard let value = Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) else {
            throw fail("expected an integer")
        }
        return value
    }

    /// Reads a number.
    public mutating func double() throws -> Double {
        skipWhitespace()
        let (start, _) = try numberSpan()
        if let value = JSONNumber.exactDouble(UnsafeBufferPointer(rebasing: bytes[start..<index])) { return value }
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)), value.isFinite else {
            throw fail("number out of range")
        }
        return value
    }

    /// Reads `true` or `false`.
    public mutating func bool() throws -> Bool {
        skipWhitespace()
        if matches("true") { return true }
        if matches("false") { return false }
        throw fail("expected true or false")
    }

    /// Reads and discards any value.
    public mutating func skipValue() throws {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"): try object { _, scanner in try scanner.skipValue() }
        case UInt8(ascii: "["): try array { scanner in try scanner.skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): guard null() else { throw fail("expected null") }
        default: _ = try numberSpan()
        }
    }

    // MARK: Internals

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func fail(_ reason: String) -> JSONScanError {
        JSONScanError(offset: index, reason: reason)
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= 64 else { throw fail("nested too deeply") }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard peek() == byte else { throw fail("expected \(Character(Unicode.Scalar(byte)))") }
        index += 1
    }

    private mutating func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let equal = literal.withUTF8Buffer { literal in
            (0..<count).allSatisfy { bytes[index + $0] == literal[$0] }
        }
        if equal { index += count }
        return equal
    }

    /// JSON's number grammar; returns where it started and whether it had neither fraction nor exponent.
    private mutating func numberSpan() throws -> (Int, Bool) {
        let start = index
        var isInteger = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw fail("expected a number") }
        index += 1
        if first == 0x30, let next = peek(), next >= 0x30, next <= 0x39 { throw fail("leading zero") }
        skipDigits()
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard try digitsFollow() else { throw fail("expected digits after .") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard try digitsFollow() else { throw fail("expected exponent digits") }
        }
        return (start, isInteger)
    }

    private mutating func skipDigits() {
        while let byte = peek(), byte >= 0x30, byte <= 0x39 { index += 1 }
    }

    private mutating func digitsFollow() throws -> Bool {
        let before = index
        skipDigits()
        return index > before
    }

    /// A string's text: where it lies in the input when it holds no escapes, or else the text unescaped.
    private enum StringToken {
        case raw(Range<Int>)
        case unescaped(String)
    }

    private mutating func stringToken() throws -> StringToken {
        skipWhitespace()
        try expect(UInt8(ascii: "\""))
        let start = index
        guard let end = JSONStringBytes.firstSpecial(in: bytes, from: index) else {
            index = bytes.count
            throw fail("unterminated string")
        }
        index = end
        switch bytes[end] {
        case UInt8(ascii: "\""):
            index += 1
            return .raw(start..<end)
        case UInt8(ascii: "\\"):
            return .unescaped(try escapedString(from: start))
        default:
            throw fail("control character in string")
        }
    }

    private mutating func escapedString(from start: Int) throws -> String {
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = peek() else { throw fail("unterminated escape") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"): try appendUnicodeEscape(to: &out)
                default: throw fail("unknown escape")
                }
            default:
                if byte < 0x20 { throw fail("control character in string") }
                out.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func appendUnicodeEscape(to out: inout [UInt8]) throws {
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard matches("\\u") else { throw fail("unpaired surrogate") }
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw fail("unpaired surrogate")
        }
        guard scalar != 0, let unicode = Unicode.Scalar(scalar) else { throw fail("NUL or invalid escape") }
        out.append(contentsOf: Array(String(Character(unicode)).utf8))
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw fail("bad \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }
}
