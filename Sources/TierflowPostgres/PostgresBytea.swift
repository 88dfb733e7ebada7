/// `bytea` text representations: the hex format (`\x0aff`) PostgreSQL outputs by default, and the legacy
/// escape format (`\012\377`, printable bytes literal, `\\` for a backslash).
enum PostgresBytea {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hexString(_ bytes: [UInt8]) -> String {
        var text = [UInt8]()
        text.reserveCapacity(2 + bytes.count * 2)
        text.append(UInt8(ascii: "\\"))
        text.append(UInt8(ascii: "x"))
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        if utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x") {
            return decodeHex(utf8[2...])
        }
        return decodeEscape(utf8)
    }

    private static func decodeHex(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var index = digits.startIndex
        while index < digits.endIndex {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func decodeEscape(_ utf8: [UInt8]) -> [UInt8]? {
        var bytes = [UInt8]()
        var index = 0
        while index < utf8.count {
            guard utf8[index] == UInt8(ascii: "\\") else { bytes.append(utf8[index]); index += 1; continue }
            if index + 1 < utf8.count, utf8[index + 1] == UInt8(ascii: "\\") {
                bytes.append(UInt8(ascii: "\\"))
                index += 2
            } else if index + 3 < utf8.count,
                      let a = octal(utf8[index + 1]), let b = octal(utf8[index + 2]), let c = octal(utf8[index + 3]) {
                bytes.append(a << 6 | b << 3 | c)
                index += 4
            } else {
                return nil
            }
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func octal(_ digit: UInt8) -> UInt8? {
        (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit) ? digit - UInt8(ascii: "0") : nil
    }
}
