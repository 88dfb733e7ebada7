/// Where and how to connect to the broker: host, port, virtual host, credentials and connection settings.
///
/// Parsed from `amqp://user:password@host:port/vhost`; printing it never shows the password.
public struct AMQPEndpoint: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Broker host name or IP address.
    public var host: String
    /// Broker TCP port (5672 unless the URL says otherwise).
    public var port: Int
    /// The virtual host, already percent-decoded (`/` for the default).
    public var virtualHost: String
    /// The user name, already percent-decoded.
    public var username: String
    /// The password; only sent to the broker, never printed.
    var password: String
    /// Heartbeat interval the client asks for; 0 disables heartbeats.
    public var heartbeatSeconds: Int
    /// Shown by `rabbitmqctl list_connections client_properties` and the management UI.
    public var connectionName: String?
    /// How long TCP connect and the AMQP handshake may take.
    public var connectTimeout: Duration
    /// How long a synchronous broker call (declare, qos, consume, close) may take.
    public var rpcTimeout: Duration

    /// An endpoint from its parts.
    public init(
        host: String, port: Int = 5672, virtualHost: String = "/", username: String = "guest",
        password: String = "guest", heartbeatSeconds: Int = 30, connectionName: String? = nil,
        connectTimeout: Duration = .seconds(5), rpcTimeout: Duration = .seconds(15)
    ) {
        self.host = host
        self.port = port
        self.virtualHost = virtualHost
        self.username = username
        self.password = password
        self.heartbeatSeconds = heartbeatSeconds
        self.connectionName = connectionName
        self.connectTimeout = connectTimeout
        self.rpcTimeout = rpcTimeout
    }

    /// Parses `amqp://user:password@host:port/vhost?heartbeat=30&connection_name=x`.
    ///
    /// User, password and vhost are percent-decoded (`%2f` is `/`); the port defaults to 5672 and an
    /// empty path means vhost `/`. Query keys `heartbeat`, `connection_name` and `connection_timeout`
    /// (milliseconds) override the arguments. Throws ``AMQPError/Code/invalidURL`` naming the problem.
    public init(url: String, heartbeatSeconds: Int = 30, connectionName: String? = nil) throws(AMQPError) {
        let parsed = try AMQPURLParser.parse(url)
        self.init(
            host: parsed.host, port: parsed.port, virtualHost: parsed.virtualHost, username: parsed.username,
            password: parsed.password, heartbeatSeconds: parsed.heartbeat ?? heartbeatSeconds,
            connectionName: parsed.connectionName ?? connectionName,
            connectTimeout: parsed.connectTimeout ?? .seconds(5)
        )
    }

    /// The same endpoint with another connection name (publisher and consumer of one worker differ).
    public func named(_ connectionName: String) -> AMQPEndpoint {
        var copy = self
        copy.connectionName = connectionName
        return copy
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let user = AMQPURLParser.percentEncode(username)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let vhost = AMQPURLParser.percentEncode(virtualHost)
        return "amqp://\(user):***@\(hostPart):\(port)/\(vhost)"
    }

    public var debugDescription: String {
        "AMQPEndpoint(\(description), heartbeat: \(heartbeatSeconds)s, name: \(connectionName ?? "-"))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["url": description, "connectionName": connectionName as Any], displayStyle: .struct)
    }
}
