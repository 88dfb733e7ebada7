/// Facts about a text gathered while its words are hashed, for the structural block.
struct TextStats {
    var words = 0
    var bytes = 0
    var lines = 1
    var numbers = 0
    var decimals = 0
    var longNumbers = 0
    var units = 0
    var codeWords = 0
    var codeSymbols = 0
    var mathSymbols = 0
    var questionMarks = 0
    var endsWithQuestion = false
    var optionLines = 0
    var firstWord: UInt64?
}

extension HashedFeaturizer {
    /// Hashes words (runs of ASCII letters and digits, or non-ASCII bytes; lower-cased) and every other
    /// visible character as a one-character word, plus adjacent pairs; gathers ``TextStats`` on the way.
    func scanWords(_ bytes: UnsafeBufferPointer<UInt8>) -> (words: FeatureAccumulator, stats: TextStats) {
        let count = bytes.count
        let words = FeatureAccumulator(expected: count / 3 + 8)
        var stats = TextStats()
        stats.bytes = count
        var previous: UInt64?
        var previousWasNumber = false
        var lineStart = true
        var lastVisible: UInt8 = 0
        var i = 0

        @inline(__always) func emit(_ hash: UInt64) {
            words.add(index(hash, .word))
            if options.bigrams, let previous { words.add(index(FeatureHash.pair(previous, hash), .bigram)) }
            previous = hash
        }

        while i < count {
            let byte = bytes[i]
            if byte <= 32 {
                if byte == 10 {
                    stats.lines += 1
                    lineStart = true
                }
                i += 1
                continue
            }
            lastVisible = byte
            if Self.isWordByte(byte) {
                let start = i
                var hash = FeatureHash.offset
                while i < count, Self.isWordByte(bytes[i]) {
                    hash = FeatureHash.step(hash, Self.lower(bytes[i]))
                    i += 1
                }
                let length = i - start
                let isNumber = Self.isDigit(byte)
                stats.words += 1
                if stats.firstWord == nil { stats.firstWord = hash }
                if isNumber {
                    stats.numbers += 1
                    if length >= 4 { stats.longNumbers += 1 }
                    if i + 1 < count, bytes[i] == UInt8(ascii: "."), Self.isDigit(bytes[i + 1]) { stats.decimals += 1 }
                } else {
                    if previousWasNumber, Self.unitWords.contains(hash) { stats.units += 1 }
                    if Self.codeWords.contains(hash) { stats.codeWords += 1 }
                }
                if lineStart, length == 1, (UInt8(ascii: "A")...UInt8(ascii: "J")).contains(byte), i < count,
                    bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ")")
                {
                    stats.optionLines += 1
                }
                previousWasNumber = isNumber
                emit(hash)
            } else {
                switch byte {
                case UInt8(ascii: "?"): stats.questionMarks += 1
                case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ";"), UInt8(ascii: "`"): stats.codeSymbols += 1
                case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "*"), UInt8(ascii: "^"), UInt8(ascii: "/"),
                    UInt8(ascii: "\\"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                    stats.mathSymbols += 1
                case UInt8(ascii: "%"):
                    if previousWasNumber { stats.units += 1 }
                default: break
                }
                if byte != UInt8(ascii: "."), byte != UInt8(ascii: ",") { previousWasNumber = false }
                emit(FeatureHash.step(FeatureHash.offset, byte))
                i += 1
            }
            lineStart = false
        }
        stats.endsWithQuestion = lastVisible == UInt8(ascii: "?")
        return (words, stats)
    }

    /// Hashes the character n-grams of the lower-cased text with whitespace runs collapsed to one space.
    func charNGrams(_ bytes: UnsafeBufferPointer<UInt8>) -> FeatureAccumulator {
        let limit = min(bytes.count, options.maxCharBytes)
        var normal = [UInt8](repeating: 0, count: limit)
        var length = 0
        var pendingSpace = false
        var i = 0
        while i < bytes.count, length < limit {
            let byte = bytes[i]
            i += 1
            if byte <= 32 {
                pendingSpace = length > 0
                continue
            }
            if pendingSpace {
                normal[length] = 32
                length += 1
                pendingSpace = false
                if length == limit { break }
            }
            normal[length] = Self.lower(byte)
            length += 1
        }
        let (low, high) = (options.charMin, options.charMax)
        let grams = FeatureAccumulator(expected: length * (high - low + 1) / 2 + 8)
        normal.withUnsafeBufferPointer { text in
            for start in 0..<length {
                var hash = FeatureHash.offset
                let end = min(length, start + high)
                var position = start
                while position < end {
                    hash = FeatureHash.step(hash, text[position])
                    position += 1
                    let size = position - start
                    if size >= low { grams.add(index(hash ^ UInt64(size), .char)) }
                }
            }
        }
        return grams
    }

    @inline(__always) static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte | 0x20 : byte
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    /// ASCII letters and digits, and every byte of a non-ASCII UTF-8 sequence.
    @inline(__always) static func isWordByte(_ byte: UInt8) -> Bool {
        byte >= 0x80 || (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 122)
    }

    static let unitWords: Set<UInt64> = Set([
        "kw", "w", "mw", "kwh", "v", "kv", "mv", "a", "ma", "hz", "khz", "rpm", "bar", "mbar", "psi", "pa", "kpa", "mpa",
        "c", "degc", "f", "degf", "k", "mm", "cm", "m", "km", "um", "kg", "g", "mg", "t", "l", "ml", "m3", "s", "ms",
        "min", "h", "hr", "hrs", "lb", "lbs", "ft", "in", "mph", "kmh", "nm", "j", "kj", "mj", "cal", "kcal", "mol",
        "ppm", "db", "gpm", "lpm", "cfm", "amps", "volts", "watts", "hours", "minutes", "seconds", "meters", "degrees",
        "dollars", "cents", "percent", "miles", "km", "kilograms", "pounds", "feet", "inches", "liters", "gallons",
    ].map(FeatureHash.bytes))

    static let codeWords: Set<UInt64> = Set([
        "def", "func", "function", "const", "var", "int", "void", "printf", "println", "lambda", "struct", "null",
        "nil", "elif", "async", "await", "std", "include", "console", "namespace", "bool", "boolean", "str", "len",
        "self", "args", "argv", "malloc", "sizeof", "typedef", "enum", "json", "sql", "regex",
    ].map(FeatureHash.bytes))
}
