/// Operations: where each process serves `/metrics`, `/health` and `/ready`, and where `tierflow status`
/// reads queue statistics.
public struct OpsConfig: Sendable, Hashable {
    /// Address the metrics server binds (loopback unless set otherwise; `0.0.0.0` in containers).
    public var metricsHost: String
    /// Port of the metrics server; 0 turns it (and metric collection) off.
    public var metricsPort: Int
    /// RabbitMQ's management API (`http://user:password@host:15672`), for `tierflow status`; empty: not used.
    public var managementURL: ConnectionURL

    static let keys: Set<String> = ["metrics_host", "metrics_port", "management_url"]

    /// The defaults: metrics off, loopback, no management API.
    public init() {
        metricsHost = "127.0.0.1"
        metricsPort = 0
        managementURL = ConnectionURL("")
    }

    init(_ node: ConfigNode?) throws(ConfigError) {
        self.init()
        guard let node else { return }
        try node.keys(allowed: Self.keys)
        metricsHost = try node.optional("metrics_host")?.string() ?? metricsHost
        metricsPort = try node.optional("metrics_port")?.int(in: 0...65_535) ?? metricsPort
        managementURL = ConnectionURL(try node.optional("management_url")?.string() ?? "")
        if !managementURL.value.isEmpty && !(managementURL.value.hasPrefix("http://") || managementURL.value.hasPrefix("https://")) {
            throw node["management_url"].error(.invalidValue, "expected an http:// or https:// URL, got \"\(managementURL)\"")
        }
    }
}
