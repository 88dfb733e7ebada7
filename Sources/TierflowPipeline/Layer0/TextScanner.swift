/// Splits text into sentence segments of words, and picks out what Layer 0's guards need verbatim:
/// identifiers (fault codes, PLC tags), asset ids and numbers with their units.
///
/// Works on UTF-8 bytes, without regular expressions or Foundation, so that a lookup stays in the
/// microseconds. Short parentheticals ("brush(es)", "(DFR)") are dropped, `n't` becomes `not`.
struct TextScanner {
    /// One word, lower-cased; `acronym` when it was written in capitals in mixed-case text (PLC, VFD).
    struct Word: Sendable, Hashable {
        var text: [UInt8]
        var acronym: Bool
        /// FNV-1a 64 of `text`.
        var hash: UInt64

        init(text: [UInt8], acronym: Bool) {
            self.text = text
            self.acronym = acronym
            hash = WordStemmer.hash(text)
        }
    }

    /// The words of each sentence-like segment, in order.
    var segments: [[Word]] = [[]]
    /// Codes and tags (letters and digits: M001, CS005, FIR123, AIR003_5), upper-cased.
    var identifiers: [String] = []
    /// Asset ids (letters, a hyphen, digits: P-101, CH-3), upper-cased.
    var assetIds: [String] = []
    /// Numbers with their canonical unit ("93 °c", "12.5 bar", "3").
    var quantities: [String] = []

    private var bytes: [UInt8] = []
    private var mostlyUpperCase = false

    init(_ text: String) {
        bytes = Self.normalisedBytes(text)
        var letters = 0
        var upper = 0
        for byte in bytes where byte.isASCIILetter {
            letters += 1
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { upper += 1 }
        }
        mostlyUpperCase = letters > 0 && upper * 2 > letters
        scan()
        if segments.last?.isEmpty == true && segments.count > 1 { segments.removeLast() }
        bytes = []
    }

    private mutating func scan() {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                index += 1
            case UInt8(ascii: "?"), UInt8(ascii: "!"), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                endSegment()
                index += 1
            case UInt8(ascii: "("):
                index = Self.shortParentheticalEnd(bytes, from: index) ?? index + 1
            case UInt8(ascii: "."):
                if index + 1 == count || bytes[index + 1] == UInt8(ascii: " ") || bytes[index + 1] == UInt8(ascii: "\n") {
                    if !endsWithAbbreviation() { endSegment() }
                }
                index += 1
            default:
                if byte.isASCIIDigit || ((byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")) && startsSignedNumber(at: index)),
                    let end = scanQuantity(at: index)
                {
                    index = end
                } else if byte.isChunkByte {
                    var end = index
                    while end < count, bytes[end].isChunkByte || isInnerDot(at: end) { end += 1 }
                    addChunk(index..<end)
                    index = end
                } else {
                    index += 1
                }
            }
        }
    }

    private mutating func endSegment() {
        if segments[segments.count - 1].isEmpty == false { segments.append([]) }
    }

    private func endsWithAbbreviation() -> Bool {
        guard let last = segments[segments.count - 1].last?.text else { return false }
        return last == Array("eg".utf8) || last == Array("ie".utf8) || last == Array("etc".utf8) || last == Array("vs".utf8)
    }

    private func startsSignedNumber(at index: Int) -> Bool {
        index + 1 < bytes.count && bytes[index + 1].isASCIIDigit && (index == 0 || bytes[index - 1] == UInt8(ascii: " "))
    }

    private func isInnerDot(at index: Int) -> Bool {
        bytes[index] == UInt8(ascii: ".") && index > 0 && index + 1 < bytes.count && bytes[index - 1].isASCIIAlphanumeric
            && bytes[index + 1].isASCIIAlphanumeric
    }

    // MARK: Numbers

    /// Reads a number and an optional unit at `start`; nil when the number runs into letters that are not a
    /// unit (then the chunk is an identifier such as `4B20`, or an ordinal).
    private mutating func scanQuantity(at start: Int) -> Int? {
        var index = start
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        let digitsStart = index
        while index < bytes.count, bytes[index].isASCIIDigit { index += 1 }
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), bytes[index + 1].isASCIIDigit {
            index += 1
            while index < bytes.count, bytes[index].isASCIIDigit { index += 1 }
        }
        guard let value = Double(String(decoding: bytes[digitsStart..<index], as: UTF8.self)) else { return nil }
        let number = Self.format(negative ? -value : value)
        if index < bytes.count, bytes[index].isChunkByte || bytes[index] == UInt8(ascii: "%") {
            if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "_") {
                quantities.append(number)
                return index
            }
            guard let (unit, end) = Units.match(bytes, at: index) else { return nil }
            quantities.append(number + " " + unit)
            return end
        }
        var unitStart = index
        if unitStart + 1 < bytes.count, bytes[unitStart] == UInt8(ascii: " ") { unitStart += 1 }
        if let (unit, end) = Units.match(bytes, at: unitStart) {
            quantities.append(number + " " + unit)
            return end
        }
        quantities.append(number)
        return index
    }

    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    // MARK: Chunks

    private mutating func addChunk(_ range: Range<Int>) {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower].isTrimmable { lower += 1 }
        while upper > lower, bytes[upper - 1].isTrimmable { upper -= 1 }
        guard lower < upper else { return }
        let chunk = bytes[lower..<upper]
        let hasDigit = chunk.contains { $0.isASCIIDigit }
        let hasLetter = chunk.contains { $0.isASCIILetter || $0 >= 0x80 }
        if hasDigit {
            if hasLetter && Self.isOrdinal(chunk) { return }
            let text = String(decoding: chunk, as: UTF8.self).uppercased()
            if !hasLetter {
                quantities.append(text)
            } else if chunk.contains(UInt8(ascii: "-")) {
                assetIds.append(text)
            } else {
                identifiers.append(text)
            }
            return
        }
        var word: [UInt8] = []
        word.reserveCapacity(16)
        var capitals = 0
        var index = lower
        func flush() {
            guard !word.isEmpty else { return }
            let acronym = !mostlyUpperCase && (2...6).contains(word.count) && capitals == word.count
            segments[segments.count - 1].append(Word(text: word, acronym: acronym))
            word.removeAll(keepingCapacity: true)
            capitals = 0
        }
        while index < upper {
            let byte = bytes[index]
            if byte == UInt8(ascii: "'") {
                let rest = bytes[(index + 1)..<upper].prefix { $0.isASCIILetter || $0 >= 0x80 }
                if rest.count == 1, rest.first == UInt8(ascii: "t") || rest.first == UInt8(ascii: "T"), word.last == UInt8(ascii: "n") {
                    word.removeLast()
                    capitals = min(capitals, word.count)
                    flush()
                    segments[segments.count - 1].append(Word(text: Array("not".utf8), acronym: false))
                } else {
                    flush()
                }
                index += 1 + rest.count
            } else if byte == UInt8(ascii: ".") {
                index += 1  // "e.g" reads as "eg"
            } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") {
                flush()
                index += 1
            } else {
                let capital = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                if capital { capitals += 1 }
                word.append(capital ? byte + 32 : byte)
                index += 1
            }
        }
        flush()
    }

    private static func isOrdinal(_ chunk: ArraySlice<UInt8>) -> Bool {
        let letters = chunk.drop { $0.isASCIIDigit }
        guard letters.count == 2, chunk.first?.isASCIIDigit == true else { return false }
        let suffix = String(decoding: letters, as: UTF8.self).lowercased()
        return ["st", "nd", "rd", "th"].contains(suffix)
    }

    /// "(es)", "(dfr)": a parenthesis holding one to five letters; returns the index after it.
    private static func shortParentheticalEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count, index - start <= 6, bytes[index].isASCIILetter { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ")"), index - start >= 2, index - start <= 6 else { return nil }
        return index + 1
    }

    /// The UTF-8 bytes of `text` with typographic punctuation made plain: curly apostrophes become `'`,
    /// dashes and no-break spaces become spaces, the ordinal indicator `º` becomes `°`.
    private static func normalisedBytes(_ text: String) -> [UInt8] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return Array(text.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        var pending: [UInt8] = []
        while let byte = iterator.next() {
            guard byte >= 0x80 else { out.append(byte); continue }
            pending.append(byte)
            let expected = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            while pending.count < expected, let next = iterator.next() { pending.append(next) }
            switch pending {
            case [0xE2, 0x80, 0x98], [0xE2, 0x80, 0x99]: out.append(UInt8(ascii: "'"))
            case [0xE2, 0x80, 0x93], [0xE2, 0x80, 0x94], [0xC2, 0xA0]: out.append(UInt8(ascii: " "))
            case [0xC2, 0xBA]: out.append(contentsOf: [0xC2, 0xB0])
            default: out.append(contentsOf: pending)
            }
            pending.removeAll(keepingCapacity: true)
        }
        return out
    }
}

extension UInt8 {
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isASCIILetter: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
    }
    var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIILetter }
    /// Letters, digits, any non-ASCII byte, and the joiners `-`, `_`, `'`.
    var isChunkByte: Bool {
        isASCIIAlphanumeric || self >= 0x80 || self == UInt8(ascii: "-") || self == UInt8(ascii: "_") || self == UInt8(ascii: "'")
    }
    var isTrimmable: Bool {
        self == UInt8(ascii: "-") || self == UInt8(ascii: "_") || self == UInt8(ascii: "'") || self == UInt8(ascii: ".")
    }
}
