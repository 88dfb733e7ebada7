/// Word-at-a-time scans of a JSON string's UTF-8 bytes, shared by ``JSONScanner`` and ``JSONWriter``.
enum JSONStringBytes {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first byte at or after `start` that ends a plain run of string text — a control
    /// character, `"` or `\`, the bytes a writer escapes and a reader stops at — or nil. Eight bytes at a time:
    /// a word holding none of them is passed whole.
    static func firstSpecial(in utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        if let raw = UnsafeRawPointer(utf8.baseAddress) {
            while index + 8 <= utf8.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if hasSpecial(word) { break }
                index += 8
            }
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            index += 1
        }
        return nil
    }

    /// Whether any byte of `word` is below 0x20, `"` or `\`. Each test is the classic "has a byte below n"
    /// (a zero byte after XOR for equality): exact as to whether there is one, though not as to where.
    private static func hasSpecial(_ word: UInt64) -> Bool {
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let control = (word &- ones &* 0x20) & ~word
        return (control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs != 0
    }
}
