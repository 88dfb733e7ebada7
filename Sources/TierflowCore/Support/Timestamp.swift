import Foundation

/// ISO 8601 times with milliseconds, in UTC, as every Tierflow message and log writes them.
public enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// `2026-11-23T17:48:35.123Z`.
    public static func format(_ date: Date) -> String {
        withFraction.format(date)
    }

    /// Parses ISO 8601 with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }
}
