import Foundation
import Logging
import Testing
import TierflowHTTP

/// Runs `Tests/Fixtures/llm_test_server.py` (scripted LLM API responses, see its header) on 127.0.0.1,
/// with an ``HTTPClient`` for the tests to use. Each test scripts its own name, so tests share a server.
final class LLMTestServer: Sendable {
    /// One response of a script.
    struct Response: Encodable, Sendable {
        var status: Int = 200
        var headers: [String: String] = [:]
        var body: String = ""
        var delay_ms: Int = 0
        var close: Bool = false

        /// A 200 (or `status`) with a JSON body.
        static func json(_ body: String, status: Int = 200, headers: [String: String] = [:]) -> Response {
            Response(status: status, headers: headers, body: body)
        }

        /// An OpenAI/Anthropic-style error body with `status`.
        static func error(_ status: Int, _ message: String, headers: [String: String] = [:]) -> Response {
            let body = #"{"error": {"message": \#(Self.quoted(message)), "type": "test_error"}}"#
            return Response(status: status, headers: headers, body: body)
        }

        private static func quoted(_ text: String) -> String {
            String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
        }
    }

    /// What the server recorded for a script name.
    struct Recorded: Decodable, Sendable {
        struct Request: Decodable, Sendable {
            var method: String
            var path: String
            var headers: [String: String]
            var body: String

            /// The body parsed as a JSON object.
            func json() throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            }
        }
        var count: Int
        var max_in_flight: Int
        var requests: [Request]
    }

    private struct Script: Encodable {
        var responses: [Response]
        var then: Response?
    }

    /// The server of the current suite (set by the ``LLMTestServerScope`` trait).
    @TaskLocal static var current: LLMTestServer?

    var port: Int { server.port }
    /// A client for the tests' backends and for scripting.
    let client: HTTPClient
    private let server: LocalServerProcess

    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/llm_test_server.py").path

    private init(server: LocalServerProcess) {
        self.server = server
        client = HTTPClient(logger: Logger(label: "tierflow.backends.tests"))
    }

    /// The base URL to use as a tier's endpoint for script `name`.
    func endpoint(_ name: String) -> String { "http://127.0.0.1:\(port)/s/\(name)" }

    /// Replaces script `name`: `responses` in order, then `then` for every further request.
    func script(_ name: String, _ responses: [Response], then: Response? = nil) async throws {
        let body = try JSONEncoder().encode(Script(responses: responses, then: then))
        let response = try await client.execute(
            HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/_script/\(name)", body: [UInt8](body)))
        try #require(response.status == 200)
    }

    /// The requests script `name` received, and the most it answered at once.
    func recorded(_ name: String) async throws -> Recorded {
        let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/_requests/\(name)"))
        return try JSONDecoder().decode(Recorded.self, from: Data(response.body))
    }

    /// Starts a server and waits until it has printed its port.
    static func start() async throws -> LLMTestServer {
        LLMTestServer(server: try await LocalServerProcess.start(script: scriptPath))
    }

    /// Shuts the client down, terminates the server and waits for it to exit.
    func stop() async {
        await client.shutdown()
        await server.stop()
    }
}

/// Starts one ``LLMTestServer`` for a whole suite and stops it when the suite ends.
struct LLMTestServerScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await LLMTestServer.start()
        do {
            try await LLMTestServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == LLMTestServerScope {
    /// Runs the suite with a scripted LLM API server in ``LLMTestServer/current``.
    static var llmTestServer: Self { LLMTestServerScope() }
}
