import Foundation
import Testing
@testable import TierflowHTTP

@Suite("HTTPClient round trips")
struct HTTPClientRoundTripTests {
    @Test("GET sends headers and parses the response")
    func getRoundTrip() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.execute(HTTPRequest(
                    url: server.url("/echo/item?x=1&y=two"), headers: ["X-Test": "abc", "X-Multi": "1"]
                ))
                #expect(response.status == 200)
                #expect(response.header("x-echo-header") == "echo")
                #expect(response.header("X-ECHO-HEADER") == "echo")
                #expect(response.header("content-type") == "application/json")
                #expect(response.header("x-missing") == nil)
                #expect(response.totalTime > .zero)
                let echo = try response.decode(EchoReply.self)
                #expect(echo.method == "GET")
                #expect(echo.path == "/echo/item")
                #expect(echo.query == "x=1&y=two")
                #expect(echo.headers["x-test"] == "abc")
                #expect(echo.headers["user-agent"] == "tierflow")
                #expect(echo.body_length == 0)
            }
        }
    }

    @Test("POST sends the body and headers, without Expect or a form content type")
    func postRoundTrip() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let json = #"{"model":"m","messages":[{"role":"user","content":"héllo"}]}"#
                let response = try await client.execute(HTTPRequest(
                    url: server.url("/echo"),
                    headers: ["Content-Type": "application/json", "x-api-key": "key-123"],
                    body: json
                ))
                #expect(response.status == 200)
                let echo = try response.decode(EchoReply.self)
                #expect(echo.method == "POST")
                #expect(echo.body == json)
                #expect(echo.body_length == json.utf8.count)
                #expect(echo.headers["content-type"] == "application/json")
                #expect(echo.headers["x-api-key"] == "key-123")
                #expect(echo.headers["expect"] == nil)
            }
        }
    }

    @Test("POST with an empty body sends Content-Length 0 and no content type")
    func emptyPost() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.execute(HTTPRequest(method: .post, url: server.url("/echo")))
                let echo = try response.decode(EchoReply.self)
                #expect(echo.method == "POST")
                #expect(echo.headers["content-length"] == "0")
                #expect(echo.headers["content-type"] == nil)
            }
        }
    }

    @Test("PUT with a body, DELETE and HEAD without")
    func otherMethods() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let put = try await client.execute(HTTPRequest(method: .put, url: server.url("/echo"), body: Array("abc".utf8)))
                let putEcho = try put.decode(EchoReply.self)
                #expect(putEcho.method == "PUT")
                #expect(putEcho.body == "abc")

                let delete = try await client.execute(HTTPRequest(method: .delete, url: server.url("/echo")))
                let deleteEcho = try delete.decode(EchoReply.self)
                #expect(deleteEcho.method == "DELETE")
                #expect(deleteEcho.body_length == 0)

                let head = try await client.execute(HTTPRequest(method: .head, url: server.url("/echo")))
                #expect(head.status == 200)
                #expect(head.body.isEmpty)
                #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
            }
        }
    }

    @Test("a 1 MiB body goes up and comes back intact")
    func largeBody() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let payload = String((0..<(1 << 20)).map { i in Character(Unicode.Scalar(UInt8(97 + i % 26))) })
                let response = try await client.execute(HTTPRequest(url: server.url("/echo"), body: payload))
                let echo = try response.decode(EchoReply.self)
                #expect(echo.body_length == 1 << 20)
                #expect(echo.body == payload)
            }
        }
    }

    @Test("redirects are returned, not followed, by default")
    func redirectNotFollowed() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.execute(HTTPRequest(url: server.url("/redirect?to=/echo/target")))
                #expect(response.status == 302)
                #expect(response.header("Location") == "/echo/target")
            }
        }
    }

    @Test("a followed redirect reports only the final response's status and headers")
    func redirectFollowed() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                var request = HTTPRequest(url: server.url("/redirect?to=/echo/target"))
                request.followRedirects = true
                let response = try await client.execute(request)
                #expect(response.status == 200)
                #expect(response.header("Location") == nil)
                #expect(response.headers.values(for: "Content-Type") == ["application/json"])
                #expect(try response.decode(EchoReply.self).path == "/echo/target")
            }
        }
    }

    @Test("an interim 100 Continue is not reported")
    func interimContinue() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let response = try await client.execute(HTTPRequest(
                    url: server.url("/echo"), headers: ["Expect": "100-continue"], body: "with continue"
                ))
                #expect(response.status == 200)
                #expect(try response.decode(EchoReply.self).headers["expect"] == "100-continue")
                #expect(response.headers.values(for: "Server").count == 1)
            }
        }
    }
}
