import Foundation

/// ISO 8601 times with milliseconds, in UTC, as every Tierflow message and log writes them.
///
/// Every hop writes and reads several of these, so the common form (`2026-11-23T17:48:35.123Z`) is formatted
/// and parsed directly; any other ISO 8601 form is parsed by Foundation's `ISO8601FormatStyle`.
public enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()
    /// 2001-01-01T00:00:00Z, Date's reference date, in milliseconds since 1970.
    private static let referenceMilliseconds: Int64 = 978_307_200_000

    /// `2026-11-23T17:48:35.123Z` (milliseconds truncated, as `ISO8601FormatStyle` writes them).
    public static func format(_ date: Date) -> String {
        let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: commonFormLength) { buffer -> String? in
            guard let base = buffer.baseAddress, writeCommonForm(date, to: base) else { return nil }
            return String(decoding: buffer, as: UTF8.self)
        }
        return text ?? withFraction.format(date)  // beyond the years 1 to 9999
    }

    /// The length of the common form, `2026-11-23T17:48:35.123Z`.
    public static let commonFormLength = 24

    /// Writes `date` in the common form to the ``commonFormLength`` bytes at `out`, or returns false (writing
    /// nothing) when its year is outside 1 to 9999.
    public static func writeCommonForm(_ date: Date, to out: UnsafeMutablePointer<UInt8>) -> Bool {
        // Date counts seconds from 2001 (its reference date); work there so a time parsed from `…35.123Z` (the
        // double nearest 35.123, perhaps just below it) formats as .123 again.
        let reference = date.timeIntervalSinceReferenceDate
        var milliseconds = (reference * 1000).rounded(.down)
        if (milliseconds + 1) / 1000 <= reference { milliseconds += 1 }
        guard abs(milliseconds) < 2.5e14 else { return false }  // beyond year 9999
        let total = Int64(milliseconds) + referenceMilliseconds
        let (seconds, millis) = CivilCalendar.floorDivision(total, 1000)
        let (days, secondOfDay) = CivilCalendar.floorDivision(seconds, 86_400)
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        guard (1...9999).contains(year) else { return false }
        func put(_ value: Int64, at offset: Int, width: Int) {
            var value = value
            for position in stride(from: offset + width - 1, through: offset, by: -1) {
                out[position] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        out[4] = UInt8(ascii: "-")
        put(month, at: 5, width: 2)
        out[7] = UInt8(ascii: "-")
        put(day, at: 8, width: 2)
        out[10] = UInt8(ascii: "T")
        put(secondOfDay / 3600, at: 11, width: 2)
        out[13] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, at: 14, width: 2)
        out[16] = UInt8(ascii: ":")
        put(secondOfDay % 60, at: 17, width: 2)
        out[19] = UInt8(ascii: ".")
        put(millis, at: 20, width: 3)
        out[23] = UInt8(ascii: "Z")
        return true
    }

    /// Parses ISO 8601 with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        if let date = parseCommonForm(text) { return date }
        return (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, or nil for any other form.
    static func parseCommonForm(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parseCommonForm($0) }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` in UTF-8 bytes, or nil for any other form.
    public static func parseCommonForm(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 20, bytes.count <= 30, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[bytes.count - 1] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ offset: Int, _ width: Int) -> Int64? {
            var value: Int64 = 0
            for position in offset..<(offset + width) {
                let digit = bytes[position] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2),
            year >= 1, (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let seconds = CivilCalendar.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        guard bytes.count > 20 else { return Date(timeIntervalSince1970: Double(seconds)) }
        let digits = bytes.count - 21  // after "SS." and before "Z"
        guard bytes[19] == UInt8(ascii: "."), digits >= 1, let value = number(20, digits) else { return nil }
        if digits <= 3 {  // the nearest double to the exact millisecond
            let milliseconds = seconds * 1000 + value * [1, 100, 10, 1][digits]
            return Date(timeIntervalSinceReferenceDate: Double(milliseconds - referenceMilliseconds) / 1000)
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(value) / pow(10, Double(digits)))
    }
}
