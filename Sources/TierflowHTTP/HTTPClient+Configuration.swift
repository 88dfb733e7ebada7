extension HTTPClient {
    /// Connection and safety limits for an ``HTTPClient``.
    public struct Configuration: Sendable {
        /// The most simultaneous connections to one host (`CURLMOPT_MAX_HOST_CONNECTIONS`); further
        /// requests to that host wait for a free connection. `0` means unlimited.
        public var maxConnectionsPerHost: Int
        /// How many idle connections are kept open for reuse (`CURLMOPT_MAXCONNECTS`).
        public var maxCachedConnections: Int
        /// How many idle easy handles are kept for reuse.
        public var maxIdleHandles: Int
        /// The largest response body ``HTTPClient/execute(_:)`` accepts, in bytes.
        public var maxResponseBodySize: Int
        /// The `User-Agent` header, unless a request sets its own; `nil` sends none.
        public var userAgent: String?
        /// Whether to enable TCP keep-alive probes on connections.
        public var tcpKeepAlive: Bool

        /// Creates a configuration; the defaults suit a worker talking to a few LLM API hosts.
        public init(
            maxConnectionsPerHost: Int = 16,
            maxCachedConnections: Int = 64,
            maxIdleHandles: Int = 64,
            maxResponseBodySize: Int = 32 << 20,
            userAgent: String? = "tierflow",
            tcpKeepAlive: Bool = true
        ) {
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxCachedConnections = maxCachedConnections
            self.maxIdleHandles = maxIdleHandles
            self.maxResponseBodySize = maxResponseBodySize
            self.userAgent = userAgent
            self.tcpKeepAlive = tcpKeepAlive
        }
    }
}
