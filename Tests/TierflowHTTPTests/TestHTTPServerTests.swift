import Foundation
import Testing
@testable import TierflowHTTP

/// The fixture server's scripted behaviour, as later backend tests will use it.
@Suite("Test HTTP server fixture")
struct TestHTTPServerTests {
    @Test("429 with Retry-After is a response, not an error")
    func retryAfter() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.execute(HTTPRequest(url: server.url("/status/429?retry_after=7")))
                #expect(response.status == 429)
                #expect(response.header("retry-after") == "7")
                let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
                let error = try #require(body["error"] as? [String: Any])
                #expect(error["code"] as? Int == 429)
            }
        }
    }

    @Test("/garbage is a 200 whose body is not JSON")
    func garbage() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.execute(HTTPRequest(url: server.url("/garbage")))
                #expect(response.status == 200)
                #expect(response.bodyString.hasPrefix(#"{"id": "chatcmpl-garbage""#))
                #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(response.body)) }
            }
        }
    }

    @Test("a scripted sequence: 429 with Retry-After, 500, then an OpenAI completion; requests recorded")
    func scriptedSequence() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let script = """
                    [
                      {"status": 429, "headers": {"Retry-After": "2"}, "body": {"error": {"message": "slow down"}}},
                      {"status": 500, "body": "upstream exploded", "delay_ms": 50},
                      {"status": 200, "body": {"id": "chatcmpl-1", "object": "chat.completion",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}}
                    ]
                    """
                let scripted = try await client.execute(HTTPRequest(url: server.url("/script/seq"), body: script))
                #expect(scripted.status == 200)

                let target = server.url("/scripted/seq/v1/chat/completions")
                func call() async throws -> HTTPResponse {
                    try await client.execute(HTTPRequest(
                        url: target, headers: ["Content-Type": "application/json"], body: #"{"model":"m"}"#
                    ))
                }
                let first = try await call()
                #expect(first.status == 429)
                #expect(first.header("Retry-After") == "2")
                let second = try await call()
                #expect(second.status == 500)
                #expect(second.bodyString == "upstream exploded")
                let third = try await call()
                #expect(third.status == 200)
                let completion = try #require(try JSONSerialization.jsonObject(with: Data(third.body)) as? [String: Any])
                #expect(completion["id"] as? String == "chatcmpl-1")
                let exhausted = try await call()
                #expect(exhausted.status == 500)
                #expect(exhausted.header("X-Script-Exhausted") == "1")

                let recorded = try await client.execute(HTTPRequest(url: server.url("/script/seq/requests")))
                let requests = try #require(try JSONSerialization.jsonObject(with: Data(recorded.body)) as? [[String: Any]])
                #expect(requests.count == 4)
                #expect(requests.first?["path"] as? String == "/scripted/seq/v1/chat/completions")
                #expect(requests.first?["body"] as? String == #"{"model":"m"}"#)
            }
        }
    }

    @Test("a scripted response can drop the connection (libcurl retries a reused connection once)")
    func scriptedClose() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let script = #"[{"close": true}, {"close": true}, {"status": 200, "body": "third"}]"#
                _ = try await client.execute(HTTPRequest(url: server.url("/script/drop"), body: script))
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(url: server.url("/scripted/drop/x")))
                }
                #expect(error.code == .receiveFailed)
                let recorded = try await client.execute(HTTPRequest(url: server.url("/script/drop/requests")))
                let requests = try #require(try JSONSerialization.jsonObject(with: Data(recorded.body)) as? [Any])
                #expect(requests.count == 2)
                let third = try await client.execute(HTTPRequest(url: server.url("/scripted/drop/x")))
                #expect(third.bodyString == "third")
            }
        }
    }

    @Test("OpenAI and Anthropic emulation answer in their wire formats and check credentials")
    func llmRoutes() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let chat = #"{"model":"m","logprobs":true,"messages":[{"role":"user","content":"two words"}]}"#
                let openAI = try await client.execute(HTTPRequest(
                    url: server.url("/openai/v1/chat/completions"),
                    headers: ["Authorization": "Bearer test-key", "Content-Type": "application/json"], body: chat
                ))
                #expect(openAI.status == 200)
                let completion = try #require(try JSONSerialization.jsonObject(with: Data(openAI.body)) as? [String: Any])
                let choice = try #require((completion["choices"] as? [[String: Any]])?.first)
                #expect((choice["message"] as? [String: Any])?["content"] as? String == "echo: two words")
                #expect(((choice["logprobs"] as? [String: Any])?["content"] as? [Any])?.count == 3)

                let unauthorised = try await client.execute(HTTPRequest(url: server.url("/openai/v1/chat/completions"), body: chat))
                #expect(unauthorised.status == 401)

                let anthropic = try await client.execute(HTTPRequest(
                    url: server.url("/anthropic/v1/messages"),
                    headers: ["x-api-key": "test-key", "anthropic-version": "2023-06-01"], body: chat
                ))
                #expect(anthropic.status == 200)
                let message = try #require(try JSONSerialization.jsonObject(with: Data(anthropic.body)) as? [String: Any])
                #expect((message["content"] as? [[String: Any]])?.first?["text"] as? String == "echo: two words")
                #expect(message["stop_reason"] as? String == "end_turn")
            }
        }
    }
}
