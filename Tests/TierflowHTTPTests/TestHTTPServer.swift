import Foundation
import TierflowHTTP

/// Runs `Tests/Fixtures/http_test_server.py` (see the routes documented at its top) on 127.0.0.1.
///
/// Each instance is its own process with its own counters and scripts, so parallel tests don't
/// interfere. The server also exits by itself when the test process ends (its stdin closes).
final class TestHTTPServer: Sendable {
    private let server: LocalServerProcess

    /// The port the server listens on.
    var port: Int { server.port }

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The absolute URL for `path` (which starts with `/`).
    func url(_ path: String) -> String { baseURL + path }

    /// The fixture script, found relative to this source file.
    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/http_test_server.py").path

    private init(server: LocalServerProcess) {
        self.server = server
    }

    /// Starts a server and waits until it has printed its port.
    static func start() async throws -> TestHTTPServer {
        TestHTTPServer(server: try await LocalServerProcess.start(script: scriptPath))
    }

    /// Terminates the server and waits for it to exit.
    func stop() async {
        await server.stop()
    }

    /// Runs `body` with a fresh server, stopping it afterwards even if `body` throws.
    static func with<T>(_ body: (TestHTTPServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
