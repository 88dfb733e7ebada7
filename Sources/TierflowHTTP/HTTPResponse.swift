/// A complete HTTP response (the final one, after any interim `1xx` or followed redirects).
public struct HTTPResponse: Sendable {
    /// The status code, for example `200` or `429`.
    public var status: Int
    /// The header fields of the final response.
    public var headers: HTTPHeaders
    /// The body bytes, after transfer decoding.
    public var body: [UInt8]
    /// The time from the start of the transfer until it completed, as measured by libcurl.
    public var totalTime: Duration

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders, body: [UInt8], totalTime: Duration) {
        self.status = status
        self.headers = headers
        self.body = body
        self.totalTime = totalTime
    }

    /// The value of the first header named `name` (case-insensitively), if any.
    public func header(_ name: String) -> String? {
        headers[name]
    }

    /// The body decoded as UTF-8; invalid sequences become U+FFFD.
    public var bodyString: String {
        String(decoding: body, as: UTF8.self)
    }

    /// Whether the status is in `200..<300`.
    public var isSuccess: Bool {
        (200..<300).contains(status)
    }
}
