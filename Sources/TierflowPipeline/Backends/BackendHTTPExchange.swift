import Foundation
import Logging
import TierflowCore
import TierflowHTTP

/// The HTTP side shared by the LLM API backends: URLs, sending with the tier's timeout, mapping statuses
/// and transport failures to ``BackendError``, and `Retry-After`.
///
/// Nothing here logs or repeats header values; server error texts are truncated and scrubbed of the key.
struct BackendHTTPExchange: Sendable {
    let httpClient: HTTPClient
    let logger: Logger

    /// The longest server error text kept in a ``BackendError``.
    static let maxErrorTextLength = 300

    /// `{endpoint}/v1/{path}`, without doubling a `/v1` the endpoint already ends with.
    static func url(endpoint: String, path: String) -> String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/v1") { base += "/v1" }
        return base + "/" + path
    }

    /// Posts `body` as JSON and returns the 2xx response; other statuses and failures become errors.
    func post(url: String, headers extra: HTTPHeaders, body: [UInt8], tier: TierConfig) async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        for field in extra { headers.add(name: field.name, value: field.value) }
        let timeout = Duration.seconds(tier.timeoutSeconds)
        let request = HTTPRequest(
            method: .post, url: url, headers: headers, body: body, connectTimeout: min(timeout, .seconds(10)),
            timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request)
        } catch let error as HTTPClientError {
            let code: BackendError.Code = error.code == .timeout ? .timeout : .transport
            logger.debug("backend request failed", metadata: ["tier.name": "\(tier.name)", "error.code": "\(error.code)"])
            throw BackendError(code, message: Self.scrub(error.message, tier: tier))
        }
        logger.debug(
            "backend response",
            metadata: [
                "tier.name": "\(tier.name)", "http.status": "\(response.status)",
                "http.duration_ms": "\(Int(response.totalTime.seconds * 1000))",
            ])
        guard response.isSuccess else { throw Self.error(for: response, tier: tier) }
        return response
    }

    /// The error for a non-2xx response: 408/409/429 rate limited, 5xx server error, others client error.
    static func error(for response: HTTPResponse, tier: TierConfig) -> BackendError {
        let status = response.status
        let text = scrub(serverMessage(response.body), tier: tier)
        switch status {
        case 408, 409, 429:
            return BackendError(.rateLimited, status: status, retryAfterSeconds: retryAfter(response), message: text)
        case 500...599:
            return BackendError(.serverError, status: status, retryAfterSeconds: retryAfter(response), message: text)
        default:
            return BackendError(.clientError, status: status, message: text)
        }
    }

    /// The error for a 2xx whose body is not the expected JSON.
    static func malformed(_ reason: String, body: [UInt8], tier: TierConfig) -> BackendError {
        let excerpt = String(decoding: body.prefix(120), as: UTF8.self)
        let text = scrub("\(reason); body starts \(excerpt.debugDescription)", tier: tier)
        return BackendError(.malformedResponse, status: 200, message: text)
    }

    /// The server's explanation: `error.message` (OpenAI, Anthropic), `error` or `message` or `detail`
    /// as a string (vLLM, llama.cpp, proxies), or else the start of the body.
    static func serverMessage(_ body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String {
                return message
            }
            for key in ["error", "message", "detail"] {
                if let message = object[key] as? String { return message }
            }
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : text
    }

    /// `text` truncated, single-line, with the tier's API key (if the server echoed it) removed.
    static func scrub(_ text: String, tier: TierConfig) -> String {
        var clean = text
        if !tier.apiKey.isEmpty {
            clean = clean.replacingOccurrences(of: tier.apiKey.value, with: "(redacted)")
        }
        clean = String(clean.map { $0.isNewline ? " " : $0 })
        if clean.count > maxErrorTextLength {
            clean = String(clean.prefix(maxErrorTextLength)) + "…"
        }
        return clean
    }

    /// Seconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP-date).
    static func retryAfter(_ response: HTTPResponse, now: Date = Date()) -> Double? {
        if let milliseconds = response.header("retry-after-ms").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
            milliseconds.isFinite, milliseconds >= 0
        {
            return milliseconds / 1000
        }
        return response.header("Retry-After").flatMap { parseRetryAfter($0, now: now) }
    }

    /// A `Retry-After` value in seconds: delta-seconds, or an HTTP-date (IMF-fixdate, RFC 850, asctime).
    static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            return seconds.isFinite && seconds >= 0 ? seconds : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                return max(0, date.timeIntervalSince(now))
            }
        }
        return nil
    }

    /// About four characters a token, for servers that report no usage.
    static func estimateTokens(_ text: String) -> Int {
        (text.unicodeScalars.count + 3) / 4
    }
}
