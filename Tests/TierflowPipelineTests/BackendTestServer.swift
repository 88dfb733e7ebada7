import Foundation
import Logging
import Synchronization
import Testing
import TierflowHTTP

/// Runs `Tests/Fixtures/llm_test_server.py` (scripted LLM API responses, see its header) on 127.0.0.1,
/// with an ``HTTPClient`` for the tests to use. Each test scripts its own name, so tests share a server.
final class LLMTestServer: Sendable {
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

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

    let port: Int
    /// A client for the tests' backends and for scripting.
    let client: HTTPClient
    private let process: Mutex<Process?>
    private let stdin: Pipe

    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/llm_test_server.py").path

    private init(port: Int, process: sending Process, stdin: Pipe) {
        self.port = port
        self.process = Mutex(process)
        self.stdin = stdin
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", scriptPath]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let reader = stdout.fileHandleForReading
        // Reading blocks, so it happens on its own thread rather than on the cooperative pool.
        let firstLine: String = await withCheckedContinuation { continuation in
            Thread {
                var line = Data()
                while true {
                    let byte = reader.readData(ofLength: 1)
                    if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
                    line.append(byte)
                }
                continuation.resume(returning: String(decoding: line, as: UTF8.self))
            }.start()
        }
        guard let port = Int(firstLine), port > 0 else {
            process.terminate()
            throw StartError(description: "llm_test_server.py did not print a port (got \"\(firstLine)\")")
        }
        return LLMTestServer(port: port, process: process, stdin: stdin)
    }

    /// Shuts the client down, terminates the server and waits for it to exit.
    func stop() async {
        await client.shutdown()
        guard let process = process.withLock({ $0.take() }) else { return }
        try? stdin.fileHandleForWriting.close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
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
