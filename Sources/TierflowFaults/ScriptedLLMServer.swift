import Foundation
import Logging
import Synchronization
import TierflowHTTP

/// A misbehaving LLM API on 127.0.0.1: `Tests/Fixtures/llm_test_server.py` (stdlib Python), scripted per
/// name with a list of responses (429s, 500s, slow answers, garbage, dropped connections) and a response
/// for every request after them. A tier uses it with `endpoint: http://127.0.0.1:PORT/s/NAME`.
public final class ScriptedLLMServer: Sendable {
    /// One scripted response.
    public struct Response: Encodable, Sendable {
        public var status: Int = 200
        public var headers: [String: String] = [:]
        public var body: String = ""
        public var delay_ms: Int = 0
        public var close: Bool = false

        public init(status: Int = 200, headers: [String: String] = [:], body: String = "", delayMilliseconds: Int = 0, close: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay_ms = delayMilliseconds
            self.close = close
        }

        /// A well-formed chat completion.
        public static func completion(_ text: String, delayMilliseconds: Int = 0) -> Response {
            let content = String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
            return Response(
                body: #"{"id":"faults","object":"chat.completion","model":"faults-model","choices":[{"index":0,"message":{"role":"assistant","content":\#(content)},"finish_reason":"stop"}],"usage":{"prompt_tokens":60,"completion_tokens":40}}"#,
                delayMilliseconds: delayMilliseconds)
        }

        /// An API error with `status`.
        public static func error(_ status: Int, retryAfter: Int? = nil) -> Response {
            Response(
                status: status, headers: retryAfter.map { ["Retry-After": "\($0)"] } ?? [:],
                body: #"{"error":{"message":"injected \#(status)","type":"faults"}}"#)
        }

        /// A 200 whose body is not JSON.
        public static let garbage = Response(body: #"{"choices": [{"message": {"content": "tru"#)
    }

    /// What the server saw for a script name.
    public struct Recorded: Decodable, Sendable {
        public var count: Int
        public var max_in_flight: Int
    }

    private struct Script: Encodable {
        var responses: [Response]
        var then: Response?
    }

    public let port: Int
    private let client: HTTPClient
    private let process: Mutex<Process?>
    private let stdin: Pipe

    private init(port: Int, process: sending Process, stdin: Pipe, logger: Logger) {
        self.port = port
        self.process = Mutex(process)
        self.stdin = stdin
        client = HTTPClient(logger: logger)
    }

    /// The endpoint of script `name`.
    public func endpoint(_ name: String) -> String { "http://127.0.0.1:\(port)/s/\(name)" }

    /// Replaces script `name`.
    public func script(_ name: String, _ responses: [Response], then: Response?) async throws {
        let body = try JSONEncoder().encode(Script(responses: responses, then: then))
        let response = try await client.execute(
            HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/_script/\(name)", body: [UInt8](body)))
        guard response.status == 200 else { throw FaultSuiteError("scripting the LLM server failed: \(response.status)") }
    }

    /// How many requests script `name` answered.
    public func recorded(_ name: String) async throws -> Recorded {
        let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/_count/\(name)"))
        return try JSONDecoder().decode(Recorded.self, from: Data(response.body))
    }

    /// Starts `python3 -u SCRIPT` and waits for the port it prints.
    public static func start(script: String, logger: Logger) async throws -> ScriptedLLMServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = stdout.fileHandleForReading
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
            throw FaultSuiteError("\(script) did not print a port (got \"\(firstLine)\")")
        }
        return ScriptedLLMServer(port: port, process: process, stdin: stdin, logger: logger)
    }

    /// Stops the server: closing its standard input ends it, SIGTERM in case it does not. Its exit is not
    /// awaited (Foundation learns of it through a descriptor that a server restarted meanwhile may hold).
    public func stop() async {
        await client.shutdown()
        guard let process = process.withLock({ $0.take() }) else { return }
        try? stdin.fileHandleForWriting.close()
        try? await Task.sleep(for: .milliseconds(200))
        kill(process.processIdentifier, SIGTERM)
    }
}
