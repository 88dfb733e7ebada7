/// A validated ``HTTPRequest`` with everything the curl thread needs precomputed.
struct PreparedRequest: Sendable {
    let request: HTTPRequest
    let url: RequestURL
    /// Header lines in `curl_slist` form (`Name: value`, or `Name;` for an empty value).
    let headerLines: [String]
    let connectTimeoutMilliseconds: Int
    let timeoutMilliseconds: Int

    init(_ request: HTTPRequest) throws(HTTPClientError) {
        let url = try RequestURL(request.url, method: request.method)
        func invalid(_ reason: String) -> HTTPClientError {
            HTTPClientError(
                code: .other, message: "\(request.method) \(url.redacted): \(reason)",
                method: request.method, url: url.redacted
            )
        }
        guard Self.isToken(request.method.rawValue) else {
            throw invalid("invalid method token")
        }
        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 2)
        for field in request.headers {
            guard Self.isToken(field.name) else { throw invalid("invalid header name '\(field.name)'") }
            // The value may be a credential: name it, never show it.
            guard !field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw invalid("header '\(field.name)' has a CR, LF or NUL in its value")
            }
            let value = field.value.trimmingASCIISpaces()
            lines.append(value.isEmpty ? "\(field.name);" : "\(field.name): \(value)")
        }
        let sendsBody = request.method == .post || !request.body.isEmpty
        if sendsBody {
            // No `Expect: 100-continue` round trip, and no implicit form content type.
            if !request.headers.contains("Expect") { lines.append("Expect:") }
            if !request.headers.contains("Content-Type") { lines.append("Content-Type:") }
        }
        self.request = request
        self.url = url
        self.headerLines = lines
        self.connectTimeoutMilliseconds = Self.milliseconds(request.connectTimeout)
        self.timeoutMilliseconds = Self.milliseconds(request.timeout)
    }

    /// Whole milliseconds, at least 1 (libcurl reads 0 as "no timeout").
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return Int.max }
        return max(1, Int(clamping: millis + attoseconds / 1_000_000_000_000_000))
    }

    /// RFC 9110 token characters.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingASCIISpaces() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
