import Foundation
import Logging
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

    public var port: Int { server.port }
    private let client: HTTPClient
    private let server: LocalServerProcess

    private init(server: LocalServerProcess, logger: Logger) {
        self.server = server
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
        do {
            return ScriptedLLMServer(server: try await LocalServerProcess.start(script: script, discardingStandardError: true), logger: logger)
        } catch let error as LocalServerProcess.StartError {
            throw FaultSuiteError(error.description)
        }
    }

    /// Stops the server: closing its standard input ends it, SIGTERM in case it does not. Its exit is not
    /// awaited (Foundation learns of it through a descriptor that a server restarted meanwhile may hold).
    public func stop() async {
        await client.shutdown()
        await server.stop(waitingForExit: false)
    }
}
