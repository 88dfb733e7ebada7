import Foundation
import Logging
import Synchronization
import Testing
@testable import TierflowHTTP

/// Runs `body` with a client that is shut down afterwards even if `body` throws.
func withClient<T>(
    _ configuration: HTTPClient.Configuration = HTTPClient.Configuration(),
    logger: Logger = Logger(label: "tierflow.http.tests"),
    _ body: (HTTPClient) async throws -> T
) async throws -> T {
    let client = HTTPClient(configuration: configuration, logger: logger)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}

/// What `/echo` reports about the request it received.
struct EchoReply: Decodable {
    var method: String
    var path: String
    var query: String
    var headers: [String: String]
    var body: String
    var body_length: Int
}

/// What `/stats` reports.
struct ServerStats: Decodable {
    var connections: Int
    var requests: Int
}

extension HTTPResponse {
    /// The body decoded as JSON into `T`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body))
    }
}

/// Fetches the server's connection and request counters.
func fetchStats(_ client: HTTPClient, _ server: TestHTTPServer) async throws -> ServerStats {
    try await client.execute(HTTPRequest(url: server.url("/stats"))).decode(ServerStats.self)
}

/// A port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not listening.
final class RefusingPort {
    let port: Int
    private let socket: Int32

    init() throws {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        if !bound { close(descriptor) }
        try #require(bound)
        socket = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(socket)
    }
}

/// Collects every log message and its metadata as text.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    func logger() -> Logger {
        Logger(label: "tierflow.http.tests.capture") { _ in CapturingLogHandler(capture: self) }
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(merged)")
    }
}
