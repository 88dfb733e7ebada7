import Foundation
import Testing

@testable import TierflowCore

/// The byte-level shortcuts of the fast JSON path — numbers without `String`s, keys compared in place, strings
/// scanned a word at a time — must give exactly what the slower ways give.
@Suite("Fast JSON primitives")
struct JSONPrimitivesTests {
    @Test func numbersReadAsDoubleReadsTheirText() throws {
        var random = SeededRandom(seed: 21)
        var texts = [
            "0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.2", "0.3", "2.5", "1e22", "1e23", "1e-22", "1e-23", "9007199254740993",
            "123456789012345", "1234567890123456", "0.000123456789012345", "4.9e-324", "1.7976931348623157e308", "0e9999",
            "1E+2", "1e-0", "100000000000000000000000", "0.1e1", "12.5e-3", "-3.14159",
        ]
        for _ in 0..<20_000 {
            let value: Double
            switch Int.random(in: 0..<4, using: &random) {
            case 0: value = Double.random(in: -1...1, using: &random)
            case 1: value = Double(Int.random(in: -1_000_000...1_000_000, using: &random)) / Double(Int.random(in: 1...10_000, using: &random))
            case 2: value = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random))
            default: value = Double(Int.random(in: -99_999...99_999, using: &random)) * pow(10, Double(Int.random(in: -30...30, using: &random)))
            }
            if value.isFinite { texts.append(value.description.replacingOccurrences(of: "+", with: "")) }
            // Decimal texts of every length, with and without an exponent.
            var digits = (0..<Int.random(in: 1...20, using: &random)).map { _ in String(Int.random(in: 0...9, using: &random)) }
            if digits.count > 1, digits[0] == "0" { digits[0] = "1" }  // JSON allows no leading zero…
            let point = Int.random(in: 0...digits.count, using: &random)
            if point > 0, point < digits.count { digits.insert(".", at: point) }
            if point == 1, digits[0] == "1", Bool.random(using: &random) { digits[0] = "0" }  // …but 0.5 is fine
            var text = digits.joined()
            if Bool.random(using: &random) { text += "e\(Int.random(in: -40...40, using: &random))" }
            texts.append((Bool.random(using: &random) ? "-" : "") + text)
        }
        for text in texts {
            let expected = try #require(Double(text), "\(text)")
            let read = try readNumber(text)
            #expect(read.bitPattern == expected.bitPattern, "\(text): \(read) against \(expected)")
        }
    }

    @Test func integersReadAsIntReadsTheirText() throws {
        var texts = ["0", "-0", "7", "-7", "999999999999999999", "-999999999999999999", "1000000000000000000", "\(Int.max)", "\(Int.min)"]
        var random = SeededRandom(seed: 22)
        for _ in 0..<5000 { texts.append(String(Int.random(in: Int.min...Int.max, using: &random) >> Int.random(in: 0...63, using: &random))) }
        for text in texts {
            let bytes = Array(text.utf8)
            let read = try bytes.withUnsafeBufferPointer { buffer in
                var scanner = JSONScanner(buffer)
                return try scanner.int()
            }
            #expect(read == Int(text), "\(text)")
        }
        for tooLarge in ["9223372036854775808", "-9223372036854775809", "99999999999999999999"] {
            let bytes = Array(tooLarge.utf8)
            #expect(throws: JSONScanError.self) {
                try bytes.withUnsafeBufferPointer { buffer in
                    var scanner = JSONScanner(buffer)
                    return try scanner.int()
                }
            }
        }
    }

    @Test func integersAreWrittenAsStringWritesThem() {
        var values = [0, 1, -1, 9, 10, -10, 99, 100, Int.max, Int.min, Int.max - 1, Int.min + 1]
        var power = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power]
        }
        var random = SeededRandom(seed: 23)
        for _ in 0..<2000 { values.append(Int.random(in: Int.min...Int.max, using: &random) >> Int.random(in: 0...63, using: &random)) }
        for value in values {
            var writer = JSONWriter(capacity: 1)
            writer.int(value)
            #expect(writer.bytes == Array(String(value).utf8), "\(value)")
        }
    }

    @Test func keysMatchAsStringEqualityWould() throws {
        // U+212A KELVIN SIGN is canonically equal to "K", raw or escaped; an escaped key matches its unescaped name.
        let text = "{\"\u{212A}\":1,\"\\u212A\":2,\"K\":3,\"k\":4,\"c\\u006fntent\":5,\"content\":6,\"contents\":7,\"\":8}"
        var matched: [String: [Int]] = [:]
        var keys: [String] = []
        try Array(text.utf8).withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            try scanner.object { key, scanner in
                let value = try scanner.int()
                if case "K" = key { matched["K", default: []].append(value) }
                if case "content" = key { matched["content", default: []].append(value) }
                if case "" = key { matched["", default: []].append(value) }
                keys.append(key.string)
            }
        }
        #expect(matched == ["K": [1, 2, 3], "content": [5, 6], "": [8]])
        #expect(keys.map { Array($0.unicodeScalars) } == ["\u{212A}", "\u{212A}", "K", "k", "content", "content", "contents", ""].map { Array($0.unicodeScalars) })
    }

    @Test func theWordScanFindsWhatAByteScanFinds() {
        var random = SeededRandom(seed: 24)
        let alphabet: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x61, 0x7F, 0x80, 0xA2, 0xDC, 0xFF]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...40, using: &random)
            // Mostly plain text, so that runs longer than a word occur, with a special byte here and there.
            let bytes = (0..<count).map { _ in
                Int.random(in: 0..<6, using: &random) == 0 ? alphabet.randomElement(using: &random)! : UInt8.random(in: 0x23...0x5B, using: &random)
            }
            let start = Int.random(in: 0...count, using: &random)
            bytes.withUnsafeBufferPointer { buffer in
                let expected = (start..<count).first { buffer[$0] < 0x20 || buffer[$0] == 0x22 || buffer[$0] == 0x5C }
                #expect(JSONStringBytes.firstSpecial(in: buffer, from: start) == expected, "\(bytes) from \(start)")
                #expect(ByteSearch.endOfASCII(in: buffer, from: start) == (start..<count).first { buffer[$0] >= 0x80 } ?? count)
            }
        }
    }

    @Test func stringsOfEveryLengthRoundTrip() throws {
        var random = SeededRandom(seed: 25)
        let pieces = ["a", "bcdefgh", "\"", "\\", "\n", "\u{1}", "\u{1F}", "é", "🚀", " ", "/", "\u{7F}"]
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...30, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let message = ChatRequest.Message(role: "user", content: text)
            let bytes = try #require(message.fastEncoded())
            #expect(try JSONDecoder().decode(ChatRequest.Message.self, from: Data(bytes)).content == text)
            #expect(ChatRequest.Message.fastDecoded(from: bytes)?.content == text)
        }
    }

    @Test func timesAreWrittenAsTimestampFormatsThem() {
        var random = SeededRandom(seed: 26)
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -70_000_000_000_000...300_000_000_000_000, using: &random)) / 1000)
            var writer = JSONWriter()
            writer.date(date)
            #expect(writer.bytes == Array("\"\(Timestamp.format(date))\"".utf8), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func theByteWriterGrowsAndStoresIntegersBigEndian() {
        var writer = ByteWriter(capacity: 1)
        var expected: [UInt8] = []
        var random = SeededRandom(seed: 27)
        for _ in 0..<500 {
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                let value = Int32.random(in: .min ... .max, using: &random)
                writer.appendBigEndian(value)
                expected += (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: value) >> (24 - 8 * $0)) }
            case 1:
                let value = UInt64.random(in: .min ... .max, using: &random)
                writer.appendBigEndian(value)
                expected += (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
            case 2:
                let text = String(repeating: "é", count: Int.random(in: 0...40, using: &random))
                writer.append(utf8: text)
                expected += Array(text.utf8)
            default:
                writer.write(atMost: 3) { target in
                    target[0] = 7
                    return 1
                }
                expected.append(7)
            }
        }
        #expect(writer.bytes == expected)
        #expect(writer.count == expected.count)
    }

    private func readNumber(_ text: String) throws -> Double {
        try Array(text.utf8).withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            let value = try scanner.double()
            try scanner.end()
            return value
        }
    }
}
