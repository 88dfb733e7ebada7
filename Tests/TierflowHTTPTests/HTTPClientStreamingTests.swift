import Foundation
import Testing
@testable import TierflowHTTP

@Suite("HTTPClient streaming")
struct HTTPClientStreamingTests {
    @Test("server-sent events arrive as chunks after the head")
    func serverSentEvents() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.stream(HTTPRequest(url: server.url("/stream/5?delay_ms=20")))
                #expect(response.status == 200)
                #expect(response.header("content-type") == "text/event-stream")
                var chunks = 0
                var text = ""
                for try await chunk in response.body {
                    chunks += 1
                    text += String(decoding: chunk, as: UTF8.self)
                }
                let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
                #expect(events.count == 6)
                #expect(events.first == #"data: {"index": 0}"#)
                #expect(events.last == "data: [DONE]")
                #expect(chunks >= 2)
            }
        }
    }

    @Test("the head is available before a slow body finishes")
    func headBeforeBody() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let started = ContinuousClock.now
                let response = try await client.stream(HTTPRequest(url: server.url("/stream/3?delay_ms=1500")))
                let headTime = ContinuousClock.now - started
                var events = 0
                for try await _ in response.body { events += 1 }
                let totalTime = ContinuousClock.now - started
                #expect(response.status == 200)
                // The body takes at least 3 s after the head (two 1.5 s gaps); generous under load.
                #expect(headTime < totalTime - .seconds(2))
                #expect(events >= 1)
            }
        }
    }

    @Test("an error status streams its body; a connection failure throws before the head")
    func errorsWhileStreaming() async throws {
        let refusing = try RefusingPort()
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let limited = try await client.stream(HTTPRequest(url: server.url("/status/429?retry_after=3")))
                #expect(limited.status == 429)
                #expect(limited.header("Retry-After") == "3")
                var body: [UInt8] = []
                for try await chunk in limited.body { body += chunk }
                #expect(String(decoding: body, as: UTF8.self).contains("status 429 requested"))

                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.stream(HTTPRequest(url: "http://127.0.0.1:\(refusing.port)/"))
                }
                #expect(error.code == .connectionFailed)
            }
        }
        withExtendedLifetime(refusing) {}
    }

    @Test("a body cut short fails the stream after the head")
    func truncatedStream() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.stream(HTTPRequest(url: server.url("/truncate")))
                #expect(response.status == 200)
                let error = try await #require(throws: HTTPClientError.self) {
                    for try await _ in response.body {}
                }
                #expect(error.code == .receiveFailed)
            }
        }
    }

    @Test("leaving a stream early aborts the transfer; the client stays usable")
    func abandonStream() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let started = ContinuousClock.now
                do {
                    let response = try await client.stream(HTTPRequest(url: server.url("/stream/200?delay_ms=100")))
                    for try await _ in response.body { break }
                }
                let follow = try await client.execute(HTTPRequest(url: server.url("/echo"), timeout: .seconds(5)))
                #expect(follow.status == 200)
                #expect(ContinuousClock.now - started < .seconds(10))  // reading all of it would take 20 s
            }
        }
    }

    @Test("cancelling the consuming task ends the stream")
    func cancelConsumer() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let url = server.url("/stream/200?delay_ms=100")
                let task = Task {
                    let response = try await client.stream(HTTPRequest(url: url))
                    var count = 0
                    for try await _ in response.body { count += 1 }
                    return count
                }
                try await Task.sleep(for: .milliseconds(300))
                let started = ContinuousClock.now
                task.cancel()
                let result = await task.result
                #expect(ContinuousClock.now - started < .seconds(8))  // the whole stream would take 20 s
                // Depending on timing the iterator either stops quietly or throws CancellationError.
                switch result {
                case .success(let count): #expect(count < 50)
                case .failure(let error): #expect(error is CancellationError)
                }
            }
        }
    }
}
