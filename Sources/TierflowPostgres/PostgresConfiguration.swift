import Foundation

/// Where and how to connect to PostgreSQL.
///
/// The URL is handed to libpq as conninfo (`postgresql://user:password@host:port/db?...`).
/// `description` and every error message built from this configuration have the password redacted.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The libpq connection URL (or keyword/value conninfo string). Contains the password: never log it.
    public var url: String
    /// Reported as `application_name`, visible in `pg_stat_activity`.
    public var applicationName: String
    /// libpq `connect_timeout`, in whole seconds (minimum 2, libpq's own floor).
    public var connectTimeoutSeconds: Int
    /// How long to wait between reconnection attempts.
    public var reconnectBackoff: Backoff
    /// At most this many prepared statements are cached per connection; further SQL runs unprepared.
    public var preparedStatementCacheSize: Int

    /// Creates a configuration for `url`.
    public init(
        url: String,
        applicationName: String = "tierflow",
        connectTimeoutSeconds: Int = 5,
        reconnectBackoff: Backoff = Backoff(),
        preparedStatementCacheSize: Int = 128
    ) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.reconnectBackoff = reconnectBackoff
        self.preparedStatementCacheSize = preparedStatementCacheSize
    }

    /// The URL with its password replaced by `***`.
    public var description: String { Self.redactedURL(url) }

    /// Capped exponential backoff with full jitter: attempt n waits a random time in
    /// `[0, min(maximum, initial * 2^n)]`, but at least `initial / 2`.
    public struct Backoff: Sendable, Hashable {
        /// The first delay's upper bound.
        public var initial: Duration
        /// The largest delay.
        public var maximum: Duration

        /// Creates a backoff policy.
        public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
            self.initial = initial
            self.maximum = maximum
        }

        /// The delay before reconnection attempt `attempt` (0-based), with jitter.
        public func delay(attempt: Int) -> Duration {
            let initialSeconds = Self.seconds(initial)
            let capSeconds = Self.seconds(maximum)
            let exponent = Double(min(attempt, 30))
            let ceiling = min(capSeconds, initialSeconds * pow(2, exponent))
            let floor = min(initialSeconds / 2, ceiling)
            let seconds = Double.random(in: floor...max(floor, ceiling))
            return .nanoseconds(Int64(seconds * 1e9))
        }

        static func seconds(_ duration: Duration) -> Double {
            let parts = duration.components
            return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
        }
    }

    /// The password embedded in `url` (URL form or `password=` keyword), if any, percent-decoded.
    var password: String? {
        if let components = URLComponents(string: url), components.scheme != nil {
            if let password = components.password, !password.isEmpty { return password }
            let item = components.queryItems?.first { $0.name == "password" }
            if let value = item?.value, !value.isEmpty { return value }
            return nil
        }
        return Self.keywordPassword(in: url)
    }

    /// Replaces every occurrence of the configured password in `text` with `***`.
    func redacting(_ text: String) -> String {
        var result = Self.redactedURL(text)
        if let password, !password.isEmpty {
            result = result.replacingOccurrences(of: password, with: "***")
            let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
            if encoded != password { result = result.replacingOccurrences(of: encoded, with: "***") }
        }
        return result
    }

    /// `scheme://user:secret@host` → `scheme://user:***@host`; also `password=...` keywords and query items.
    static func redactedURL(_ text: String) -> String {
        var result = text
        // user:password@ inside any postgres URL in the text.
        if let regex = try? NSRegularExpression(pattern: #"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@"#) {
            let range = NSRange(result.startIndex..., in: result)
            result = regex.stringByReplacingMatches(in: result, range: range, withTemplate: "$1***@")
        }
        if let regex = try? NSRegularExpression(pattern: #"(password=)('(?:[^'\\]|\\.)*'|[^\s&]*)"#,
                                                options: [.caseInsensitive]) {
            let range = NSRange(result.startIndex..., in: result)
            result = regex.stringByReplacingMatches(in: result, range: range, withTemplate: "$1***")
        }
        return result
    }

    private static func keywordPassword(in conninfo: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: #"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)"#),
              let match = regex.firstMatch(in: conninfo, range: NSRange(conninfo.startIndex..., in: conninfo)),
              let range = Range(match.range(at: 1), in: conninfo)
        else { return nil }
        var value = String(conninfo[range])
        if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
            value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\'", with: "'")
        }
        return value.isEmpty ? nil : value
    }
}
