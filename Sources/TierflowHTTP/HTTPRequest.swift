/// An HTTP request for ``HTTPClient``.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The absolute `http` or `https` URL.
    public var url: String
    /// Header fields sent with the request, in order.
    public var headers: HTTPHeaders
    /// The request body; sent whenever it is non-empty or the method is `POST`.
    public var body: [UInt8]
    /// The maximum time to establish the connection (DNS, TCP and TLS).
    public var connectTimeout: Duration
    /// The maximum time for the whole transfer, including waiting for a free connection and, for
    /// ``HTTPClient/stream(_:)``, reading the whole body.
    public var timeout: Duration
    /// Whether to follow `3xx` redirects (at most ``maxRedirects``). Off by default.
    public var followRedirects: Bool
    /// The redirect limit when ``followRedirects`` is on.
    public var maxRedirects: Int

    /// Creates a request.
    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(60),
        followRedirects: Bool = false,
        maxRedirects: Int = 5
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
    }

    /// Creates a request with a UTF-8 string body.
    public init(
        method: HTTPMethod = .post,
        url: String,
        headers: HTTPHeaders = [:],
        body: String,
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(60)
    ) {
        self.init(
            method: method, url: url, headers: headers, body: Array(body.utf8),
            connectTimeout: connectTimeout, timeout: timeout
        )
    }
}
