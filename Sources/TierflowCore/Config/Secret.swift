/// A configuration value that must never be printed or logged, such as an API key.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself; read it only where it is sent.
    public let value: String

    public init(_ value: String) { self.value = value }

    /// Whether a value was configured at all.
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { value.isEmpty ? "(unset)" : "(redacted)" }
    public var debugDescription: String { description }
}

/// A connection URL whose password is hidden when printed.
public struct ConnectionURL: Sendable, Hashable, CustomStringConvertible {
    /// The full URL, password included; pass it only to the client library.
    public let value: String

    public init(_ value: String) { self.value = value }

    /// The URL with any password replaced by `***`.
    public var description: String { Self.redact(value) }

    /// Replaces the password of `scheme://user:password@host` with `***`.
    public static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return url }
        let userInfo = rest[rest.startIndex..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
