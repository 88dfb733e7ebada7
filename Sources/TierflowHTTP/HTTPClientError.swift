/// An error thrown by ``HTTPClient`` when a transfer fails before a complete response arrives.
///
/// HTTP error statuses (`4xx`, `5xx`) are not errors: they come back as an ``HTTPResponse``.
/// Messages and context never contain header values, URL credentials or query strings.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely enough to decide whether to retry.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case timeout
            case connectionFailed
            case couldNotResolveHost
            case invalidURL
            case sendFailed
            case receiveFailed
            case responseTooLarge
            case shutdown
            case other
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The connect timeout or the total timeout of the request expired.
        public static let timeout = Code(.timeout)
        /// The TCP (or TLS) connection could not be established, for example connection refused.
        public static let connectionFailed = Code(.connectionFailed)
        /// The host name did not resolve.
        public static let couldNotResolveHost = Code(.couldNotResolveHost)
        /// The URL is malformed or does not use `http` / `https`.
        public static let invalidURL = Code(.invalidURL)
        /// Sending the request failed (connection reset while sending).
        public static let sendFailed = Code(.sendFailed)
        /// Receiving the response failed: reset, closed without an answer, or truncated.
        public static let receiveFailed = Code(.receiveFailed)
        /// The response body exceeded ``HTTPClient/Configuration/maxResponseBodySize``.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The client was shut down before the transfer finished.
        public static let shutdown = Code(.shutdown)
        /// Any other failure; see the message and ``HTTPClientError/curlCode``.
        public static let other = Code(.other)

        public var description: String {
            switch backing {
            case .timeout: "timeout"
            case .connectionFailed: "connectionFailed"
            case .couldNotResolveHost: "couldNotResolveHost"
            case .invalidURL: "invalidURL"
            case .sendFailed: "sendFailed"
            case .receiveFailed: "receiveFailed"
            case .responseTooLarge: "responseTooLarge"
            case .shutdown: "shutdown"
            case .other: "other"
            }
        }
    }

    /// The error code.
    public var code: Code
    /// A human-readable explanation: method, redacted URL and libcurl's error text when there is one.
    public var message: String
    /// The request method.
    public var method: HTTPMethod?
    /// The request URL without credentials, query string or fragment.
    public var url: String?
    /// The libcurl `CURLcode`, when the failure came from libcurl.
    public var curlCode: Int?

    /// Creates an error.
    public init(code: Code, message: String, method: HTTPMethod? = nil, url: String? = nil, curlCode: Int? = nil) {
        self.code = code
        self.message = message
        self.method = method
        self.url = url
        self.curlCode = curlCode
    }

    public var description: String {
        var text = "HTTPClientError.\(code): \(message)"
        if let curlCode { text += " (curl code \(curlCode))" }
        return text
    }
}
