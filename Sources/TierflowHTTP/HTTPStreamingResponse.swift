/// A response whose body arrives as a stream of chunks, from ``HTTPClient/stream(_:)``.
public struct HTTPStreamingResponse: Sendable {
    /// The final response's status code.
    public var status: Int
    /// The final response's header fields.
    public var headers: HTTPHeaders
    /// The body in chunks as they arrive. Throws ``HTTPClientError`` if the transfer fails midway.
    public var body: AsyncThrowingStream<[UInt8], any Error>

    /// Creates a streaming response.
    public init(status: Int, headers: HTTPHeaders, body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitively), if any.
    public func header(_ name: String) -> String? {
        headers[name]
    }

    /// Status and headers, handed over by the curl thread before the body.
    struct Head: Sendable {
        var status: Int
        var headers: HTTPHeaders
    }
}
