import Foundation
import Testing
@testable import TierflowHTTP

@Suite("HTTPClient errors")
struct HTTPClientErrorTests {
    @Test("the total timeout fails a slow request promptly with .timeout")
    func totalTimeout() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let started = ContinuousClock.now
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(url: server.url("/delay/30000"), timeout: .milliseconds(300)))
                }
                let elapsed = ContinuousClock.now - started
                #expect(error.code == .timeout)
                #expect(error.message.contains("timed out"))
                #expect(error.curlCode == 28)
                #expect(elapsed < .seconds(10))  // far below the server's 30 s: the timeout fired
            }
        }
    }

    @Test("the timeout also covers waiting for a free connection")
    func timeoutWhileQueued() async throws {
        try await TestHTTPServer.with { server in
            try await withClient(HTTPClient.Configuration(maxConnectionsPerHost: 1)) { client in
                let slow = Task { try await client.execute(HTTPRequest(url: server.url("/delay/8000"))) }
                try await Task.sleep(for: .milliseconds(200))
                let started = ContinuousClock.now
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(url: server.url("/echo"), timeout: .milliseconds(400)))
                }
                let elapsed = ContinuousClock.now - started
                #expect(error.code == .timeout)
                #expect(elapsed < .seconds(5))  // queued behind an 8 s request: only its own deadline ends it early
                #expect(try await slow.value.status == 200)
            }
        }
    }

    @Test("a refused connection fails with .connectionFailed and names the URL")
    func connectionRefused() async throws {
        let refusing = try RefusingPort()
        try await withClient { client in
            let error = try await #require(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(refusing.port)/v1/chat"))
            }
            #expect(error.code == .connectionFailed)
            #expect(error.url == "http://127.0.0.1:\(refusing.port)/v1/chat")
            #expect(error.message.contains("GET http://127.0.0.1:\(refusing.port)/v1/chat"))
            #expect(error.message.lowercased().contains("connect"))
        }
        withExtendedLifetime(refusing) {}
    }

    @Test("invalid URLs fail with .invalidURL before any transfer", arguments: [
        "not a url", "127.0.0.1:80/path", "ftp://127.0.0.1/file", "http://", "http://exa mple.com/", "",
        "file:///etc/passwd",
    ])
    func invalidURL(url: String) async throws {
        try await withClient { client in
            let error = try await #require(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(url: url))
            }
            #expect(error.code == .invalidURL)
        }
    }

    @Test("a server closing without an answer gives .receiveFailed with curl's reason")
    func closedWithoutAnswer() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(url: server.url("/close")))
                }
                #expect(error.code == .receiveFailed)
                #expect(error.message.contains("Empty reply from server"))
                #expect(error.message.contains("/close"))
                // The client still works afterwards.
                #expect(try await client.execute(HTTPRequest(url: server.url("/echo"))).status == 200)
            }
        }
    }

    @Test("a body cut short by the server gives .receiveFailed")
    func truncatedTransfer() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(url: server.url("/truncate")))
                }
                #expect(error.code == .receiveFailed)
                #expect(error.curlCode == 18)
            }
        }
    }

    @Test("a body over the configured limit gives .responseTooLarge")
    func responseTooLarge() async throws {
        try await TestHTTPServer.with { server in
            try await withClient(HTTPClient.Configuration(maxResponseBodySize: 64)) { client in
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(url: server.url("/echo"), body: String(repeating: "x", count: 200)))
                }
                #expect(error.code == .responseTooLarge)
                #expect(error.message.contains("64 bytes"))
                let small = try await client.execute(HTTPRequest(url: server.url("/status/204")))
                #expect(small.status == 204)
            }
        }
    }

    @Test("header values with CR or LF are refused without echoing the value")
    func headerInjection() async throws {
        try await withClient { client in
            let error = try await #require(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(
                    url: "http://127.0.0.1:1/x", headers: ["Authorization": "Bearer sk-SECRET\r\nX-Evil: 1"]
                ))
            }
            #expect(error.code == .other)
            #expect(error.message.contains("Authorization"))
            #expect(!error.description.contains("SECRET"))
        }
    }

    @Test("credentials, query strings and header values never reach errors or logs")
    func secretsStayOut() async throws {
        let capture = LogCapture()
        let refusing = try RefusingPort()
        try await TestHTTPServer.with { server in
            try await withClient(logger: capture.logger()) { client in
                let secretHeaders: HTTPHeaders = ["Authorization": "Bearer sk-SECRET-1", "x-api-key": "SECRET-2"]
                let failing = HTTPRequest(
                    url: "http://user:SECRET-3@127.0.0.1:\(refusing.port)/v1/messages?key=SECRET-4#SECRET-5",
                    headers: secretHeaders
                )
                let error = try await #require(throws: HTTPClientError.self) { try await client.execute(failing) }
                #expect(error.code == .connectionFailed)
                #expect(error.url == "http://127.0.0.1:\(refusing.port)/v1/messages")
                #expect(!"\(error)".contains("SECRET"))
                #expect(!error.message.contains("SECRET"))

                let ok = try await client.execute(HTTPRequest(url: server.url("/echo?token=SECRET-6"), headers: secretHeaders))
                #expect(ok.status == 200)
            }
        }
        let logs = capture.text
        #expect(logs.contains("http.url"))
        #expect(logs.contains("/v1/messages"))
        #expect(!logs.contains("SECRET"))
        withExtendedLifetime(refusing) {}
    }
}
