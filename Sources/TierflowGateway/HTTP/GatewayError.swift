import HTTPTypes

/// A refusal the gateway answers with an OpenAI-style error body: `{"error": {message, type, param, code}}`.
public struct GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// OpenAI's error `type` (`invalid_request_error`, `requests`, `insufficient_quota`, `server_error`, …).
    public var type: String
    /// A stable code (`invalid_api_key`, `rate_limit_exceeded`, `model_not_found`, `timeout`, …).
    public var code: String
    public var message: String
    /// The request field at fault, when one is.
    public var param: String?
    /// Seconds for a `Retry-After` header.
    public var retryAfterSeconds: Int?
    /// Whether the client should retry (`x-should-retry`); nil leaves it to the client.
    public var shouldRetry: Bool?

    public init(
        status: HTTPResponse.Status, type: String, code: String, message: String, param: String? = nil,
        retryAfterSeconds: Int? = nil, shouldRetry: Bool? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.retryAfterSeconds = retryAfterSeconds
        self.shouldRetry = shouldRetry
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// 400: the request is malformed.
    public static func badRequest(_ message: String, code: String = "invalid_request", param: String? = nil) -> GatewayError {
        GatewayError(status: .badRequest, type: "invalid_request_error", code: code, message: message, param: param)
    }

    /// 401: no key, or a key that is unknown or revoked.
    public static func unauthorized(missing: Bool) -> GatewayError {
        GatewayError(
            status: .unauthorized, type: "invalid_request_error", code: "invalid_api_key",
            message: missing
                ? "You didn't provide an API key. Send it as \"Authorization: Bearer <key>\"."
                : "Incorrect API key provided.")
    }

    /// 404: `model` names no routing policy.
    public static func modelNotFound(_ model: String, known: [String]) -> GatewayError {
        GatewayError(
            status: .notFound, type: "invalid_request_error", code: "model_not_found",
            message: "The model \"\(model)\" does not exist; use \(known.joined(separator: ", ")) or router-<policy>-<threshold in [0,1]>.",
            param: "model")
    }

    /// 413: the body is larger than `gateway.max_body_bytes`.
    public static func tooLarge(limit: Int) -> GatewayError {
        GatewayError(
            status: .contentTooLarge, type: "invalid_request_error", code: "request_too_large",
            message: "The request body is larger than \(limit) bytes.")
    }

    /// 422: an `Idempotency-Key` already used by this API key for a different request.
    public static func idempotencyKeyReused() -> GatewayError {
        GatewayError(
            status: .unprocessableContent, type: "invalid_request_error", code: "idempotency_key_reused",
            message: "This Idempotency-Key was already used with a different request body; use a new key for a new request.",
            param: "Idempotency-Key", shouldRetry: false)
    }

    /// 429: the key's rate limit is reached.
    public static func rateLimited(retryAfter: Int, perMinute: Int) -> GatewayError {
        GatewayError(
            status: .tooManyRequests, type: "requests", code: "rate_limit_exceeded",
            message: "Rate limit reached: \(perMinute) requests per minute for this key. Try again in \(retryAfter) s.",
            retryAfterSeconds: retryAfter)
    }

    /// 429: the key's daily budget is spent (retrying today does not help).
    public static func budgetExceeded(spent: Double, budget: Double, retryAfter: Int) -> GatewayError {
        GatewayError(
            status: .tooManyRequests, type: "insufficient_quota", code: "insufficient_quota",
            message: "This key's daily budget of $\(budget) is spent ($\(spent) today); it resets at 00:00 UTC.",
            retryAfterSeconds: retryAfter, shouldRetry: false)
    }

    /// 504: no final result within `gateway.request_timeout_seconds`.
    public static func timeout(seconds: Double) -> GatewayError {
        GatewayError(
            status: .gatewayTimeout, type: "server_error", code: "timeout",
            message: "No answer within \(seconds) s; the query may still finish (see its query id in the results table).")
    }

    /// 503: the pipeline could not take the request.
    public static func unavailable(_ message: String) -> GatewayError {
        GatewayError(status: .serviceUnavailable, type: "server_error", code: "unavailable", message: message, retryAfterSeconds: 1)
    }
}
