import Foundation
import TierflowCore

/// Text encoding and decoding of `timestamptz`/`timestamp`/`date` values, without formatters.
///
/// Encodes as ISO-8601 UTC with microseconds (`2024-05-01T12:00:00.123456Z`). Decodes PostgreSQL's ISO output
/// (`2024-05-01 12:00:00.123456+00`, offsets `+05:30[:15]`, ` BC`, `infinity`); connections set
/// `DateStyle = ISO` and `TimeZone = UTC` so that is what arrives.
enum PostgresDateFormat {
    static func string(from date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, micro) = CivilCalendar.floorDivision(micros, 1_000_000)
        let (days, secondOfDay) = CivilCalendar.floorDivision(seconds, 86_400)
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        if (0...9999).contains(year) {  // every row's timestamps: written straight into 27 bytes
            var bytes = [UInt8](repeating: 0, count: 27)
            for (value, offset, width) in [
                (year, 0, 4), (month, 5, 2), (day, 8, 2), (secondOfDay / 3600, 11, 2), (secondOfDay / 60 % 60, 14, 2),
                (secondOfDay % 60, 17, 2), (micro, 20, 6),
            ] {
                var value = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    bytes[position] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                    value /= 10
                }
            }
            for (offset, character) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (26, "Z")] as [(Int, Unicode.Scalar)] {
                bytes[offset] = UInt8(ascii: character)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        return text + "." + pad(micro, 6) + "Z"
    }

    static func date(from text: String) -> Date? {
        switch text {
        case "infinity": return .distantFuture
        case "-infinity": return .distantPast
        default: break
        }
        var bytes = Array(text.utf8)
        var isBC = false
        if bytes.count > 3, bytes.suffix(3) == Array(" BC".utf8) { isBC = true; bytes.removeLast(3) }
        var index = 0
        func number(maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            let start = index
            while index < bytes.count, index - start < maxDigits, (48...57).contains(bytes[index]) {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
            }
            return index > start ? value : nil
        }
        func expect(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }
        guard var year = number(maxDigits: 9), expect("-"), let month = number(maxDigits: 2), expect("-"),
              let day = number(maxDigits: 2)
        else { return nil }
        if isBC { year = 1 - year }
        var secondOfDay: Int64 = 0
        var micro: Int64 = 0
        var offset: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "T") {
            index += 1
            guard let hour = number(maxDigits: 2), expect(":"), let minute = number(maxDigits: 2), expect(":"),
                  let second = number(maxDigits: 2)
            else { return nil }
            secondOfDay = hour * 3600 + minute * 60 + second
            if expect(".") {
                let start = index
                guard let fraction = number(maxDigits: 6) else { return nil }
                micro = fraction * Int64(pow(10, Double(6 - (index - start))))
                while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "Z") {
                index += 1
            } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let hours = number(maxDigits: 2) else { return nil }
                var minutes: Int64 = 0
                var seconds: Int64 = 0
                if expect(":") { minutes = number(maxDigits: 2) ?? 0 }
                if expect(":") { seconds = number(maxDigits: 2) ?? 0 }
                offset = sign * (hours * 3600 + minutes * 60 + seconds)
            }
        }
        guard index == bytes.count else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + secondOfDay - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(micro) / 1_000_000)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(abs(value))
        let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        return value < 0 ? "-" + padded : padded
    }
}
