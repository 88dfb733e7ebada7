/// Reading JSON numbers without making a `String` first, where the result is certain to be exact.
enum JSONNumber {
    /// 10^0 … 10^22, every one exactly a `Double`.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]

    /// The number a JSON number's text denotes, correctly rounded, or nil when this shortcut cannot be sure of it
    /// (the caller then parses the text with `Double(_:)`).
    ///
    /// Clinger's fast path: when the significant digits are an integer `m` of at most 2^53 (every number of up to 15
    /// digits, and most of 16), `m` is exact as a `Double`; with a decimal exponent `e` of at most 22 in size, 10^|e| is exact too, so `m × 10^e` or
    /// `m ÷ 10^−e` is one correctly rounded operation on exact operands — the same double `strtod` gives.
    /// `bytes` must already be a valid JSON number (``JSONScanner`` checks its grammar first).
    static func exactDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index += 1 }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var inFraction = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte &- UInt8(ascii: "0") < 10 {
                if mantissa != 0 || byte != UInt8(ascii: "0") {
                    significantDigits += 1
                    guard significantDigits <= 19 else { return nil }  // 10^19 − 1 still fits a UInt64
                    mantissa = mantissa * 10 + UInt64(byte &- 0x30)
                }
                if inFraction { exponent -= 1 }
            } else {
                break  // e or E
            }
            index += 1
        }
        if index < bytes.count {
            index += 1
            var exponentNegative = false
            if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard bytes.count - index <= 4 else { return nil }
            var written = 0
            while index < bytes.count {
                written = written * 10 + Int(bytes[index] &- 0x30)
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        guard mantissa != 0 else { return negative ? -0.0 : 0.0 }
        guard mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        var value = Double(mantissa)
        value = exponent >= 0 ? value * powersOfTen[exponent] : value / powersOfTen[-exponent]
        return negative ? -value : value
    }
}
