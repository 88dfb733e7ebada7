import Foundation
import Logging
import TierflowCore
import TierflowHTTP

/// Reads queue statistics from RabbitMQ's management HTTP API (`GET /api/queues/{vhost}`).
public struct ManagementAPIClient: Sendable {
    /// One queue's figures.
    public struct QueueStats: Sendable, Hashable {
        public var ready: Int
        public var unacknowledged: Int
        public var consumers: Int
        public var publishRate: Double?
        public var ackRate: Double?
    }

    private let base: String
    private let authorization: String?
    private let vhost: String
    private let http: HTTPClient

    /// `managementURL` is `http://user:password@host:port`; `vhost` the broker virtual host.
    public init(managementURL: ConnectionURL, vhost: String, http: HTTPClient) throws(StatusError) {
        guard var components = URLComponents(string: managementURL.value), components.host != nil else {
            throw StatusError(.invalidURL, "ops.management_url: not a URL: \(managementURL)")
        }
        if let user = components.user {
            let password = components.password ?? ""
            let decoded = "\(user.removingPercentEncoding ?? user):\(password.removingPercentEncoding ?? password)"
            authorization = "Basic " + Data(decoded.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        components.user = nil
        components.password = nil
        components.path = ""
        base = components.string ?? managementURL.value
        self.vhost = vhost
        self.http = http
    }

    /// Every queue of the virtual host whose name starts with `prefix`, by name.
    public func queues(prefix: String) async throws -> [String: QueueStats] {
        let encoded = vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? vhost
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        let response = try await http.execute(
            HTTPRequest(
                url: "\(base)/api/queues/\(encoded)?columns=name,messages_ready,messages_unacknowledged,consumers,message_stats",
                headers: headers, timeout: .seconds(10)))
        guard response.isSuccess else {
            throw StatusError(.managementAPI, "GET /api/queues/\(vhost): HTTP \(response.status): \(response.bodyString.prefix(200))")
        }
        guard let rows = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] else {
            throw StatusError(.managementAPI, "GET /api/queues/\(vhost): the answer is not a JSON array")
        }
        var result: [String: QueueStats] = [:]
        for row in rows {
            guard let name = row["name"] as? String, name.hasPrefix(prefix) else { continue }
            let stats = row["message_stats"] as? [String: Any]
            func rate(_ key: String) -> Double? { (stats?[key] as? [String: Any])?["rate"] as? Double }
            result[name] = QueueStats(
                ready: row["messages_ready"] as? Int ?? 0, unacknowledged: row["messages_unacknowledged"] as? Int ?? 0,
                consumers: row["consumers"] as? Int ?? 0, publishRate: rate("publish_details"), ackRate: rate("ack_details"))
        }
        return result
    }

    /// The virtual host of an `amqp://user:password@host:port/vhost` URL (`/` when it names none).
    public static func vhost(ofAMQPURL url: String) -> String {
        guard let components = URLComponents(string: url) else { return "/" }
        let path = components.percentEncodedPath
        guard path.count > 1 else { return "/" }
        let name = String(path.dropFirst())
        return name.removingPercentEncoding ?? name
    }
}
