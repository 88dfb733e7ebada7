/// Why a backend call failed, and whether trying again may help.
public struct BackendError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case rateLimited = "rate_limited"
            case serverError = "server_error"
            case clientError = "client_error"
            case timeout
            case transport
            case malformedResponse = "malformed_response"
            case circuitOpen = "circuit_open"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// 429 (and 408, 409): retried after `Retry-After` or backoff.
        public static let rateLimited = Code(.rateLimited)
        /// 5xx: retried with backoff.
        public static let serverError = Code(.serverError)
        /// 400, 401, 403, 404, …: not retried.
        public static let clientError = Code(.clientError)
        /// The request took longer than the tier's timeout: retried.
        public static let timeout = Code(.timeout)
        /// Connection refused, reset or similar: retried.
        public static let transport = Code(.transport)
        /// A 2xx whose body is not the expected JSON: retried once the breaker allows.
        public static let malformedResponse = Code(.malformedResponse)
        /// The tier's circuit breaker is open: not attempted.
        public static let circuitOpen = Code(.circuitOpen)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// HTTP status, when there was a response.
    public var status: Int?
    /// Seconds the server asked us to wait (`Retry-After`).
    public var retryAfterSeconds: Double?
    public var message: String

    public init(_ code: Code, status: Int? = nil, retryAfterSeconds: Double? = nil, message: String) {
        self.code = code
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.message = message
    }

    /// Whether the same request may succeed later.
    public var isRetryable: Bool {
        code != .clientError && code != .circuitOpen
    }

    public var description: String {
        status.map { "\(code) (HTTP \($0)): \(message)" } ?? "\(code): \(message)"
    }
}
