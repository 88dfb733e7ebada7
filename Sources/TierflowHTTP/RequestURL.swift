import CCurl

/// A request URL checked with libcurl's own URL parser, plus a form that is safe to log.
struct RequestURL: Sendable {
    /// The URL as given, passed to `CURLOPT_URL`.
    let full: String
    /// `scheme://host[:port]/path`: no credentials, query string or fragment.
    let redacted: String

    /// Parses `string`; only absolute `http` and `https` URLs are accepted.
    init(_ string: String, method: HTTPMethod) throws(HTTPClientError) {
        func invalid(_ reason: String, shown: String) -> HTTPClientError {
            HTTPClientError(code: .invalidURL, message: "\(method) \(shown): \(reason)", method: method, url: shown)
        }
        CurlGlobal.ensureInitialized()
        guard let handle = curl_url() else {
            throw HTTPClientError(code: .other, message: "curl_url failed (out of memory)", method: method)
        }
        defer { curl_url_cleanup(handle) }
        let setResult = string.withCString { curl_url_set(handle, CURLUPART_URL, $0, 0) }
        guard setResult == CURLUE_OK else {
            let reason = curl_url_strerror(setResult).map { String(cString: $0) } ?? "malformed URL"
            throw invalid(reason, shown: "<unparseable URL>")
        }
        let scheme = (Self.part(handle, CURLUPART_SCHEME) ?? "").lowercased()
        let host = Self.part(handle, CURLUPART_HOST) ?? ""
        let port = Self.part(handle, CURLUPART_PORT).map { ":\($0)" } ?? ""
        let path = Self.part(handle, CURLUPART_PATH) ?? "/"
        let redacted = "\(scheme)://\(host)\(port)\(path)"
        guard scheme == "http" || scheme == "https" else {
            throw invalid("unsupported scheme '\(scheme)' (only http and https)", shown: redacted)
        }
        guard !host.isEmpty else {
            throw invalid("missing host", shown: redacted)
        }
        self.full = string
        self.redacted = redacted
    }

    private static func part(_ handle: OpaquePointer, _ part: CURLUPart) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, part, &value, 0) == CURLUE_OK, let value else { return nil }
        defer { curl_free(value) }
        return String(cString: value)
    }
}
