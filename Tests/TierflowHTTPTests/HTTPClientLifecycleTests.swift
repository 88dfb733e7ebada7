import Foundation
import Testing
@testable import TierflowHTTP

@Suite("HTTPClient cancellation and shutdown")
struct HTTPClientLifecycleTests {
    @Test("cancelling a slow request throws CancellationError quickly; the client stays usable")
    func cancelInFlight() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let task = Task { try await client.execute(HTTPRequest(url: server.url("/delay/30000"))) }
                try await Task.sleep(for: .milliseconds(200))
                let started = ContinuousClock.now
                task.cancel()
                await #expect(throws: CancellationError.self) { try await task.value }
                #expect(ContinuousClock.now - started < .seconds(10))  // far below the server's 30 s
                let response = try await client.execute(HTTPRequest(url: server.url("/echo")))
                #expect(response.status == 200)
            }
        }
    }

    @Test("a task cancelled before the request starts never reaches the server")
    func cancelledBeforeStart() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                let url = server.url("/echo")
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await client.execute(HTTPRequest(url: url))
                }
                await #expect(throws: CancellationError.self) { try await task.value }
                let stats = try await fetchStats(client, server)
                #expect(stats.requests == 0)
            }
        }
    }

    @Test("many cancellations racing with completions leave the client consistent")
    func cancellationRace() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                var tasks: [Task<HTTPResponse, any Error>] = []
                for index in 0..<50 {
                    tasks.append(Task { try await client.execute(HTTPRequest(url: server.url("/delay/\(index % 5 * 10)"))) })
                }
                for task in tasks { task.cancel() }
                var outcomes = 0
                for task in tasks {
                    switch await task.result {
                    case .success(let response): if response.status == 200 { outcomes += 1 }
                    case .failure(let error): if error is CancellationError { outcomes += 1 }
                    }
                }
                #expect(outcomes == 50)
                let after = try await client.execute(HTTPRequest(url: server.url("/echo")))
                #expect(after.status == 200)
            }
        }
    }

    @Test("shutdown fails in-flight requests with .shutdown without hanging")
    func shutdownInFlight() async throws {
        try await TestHTTPServer.with { server in
            let client = HTTPClient(logger: .init(label: "tierflow.http.tests"))
            let tasks = (0..<5).map { _ in
                Task { try await client.execute(HTTPRequest(url: server.url("/delay/30000"))) }
            }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            await client.shutdown()
            #expect(ContinuousClock.now - started < .seconds(10))  // far below the server's 30 s
            for task in tasks {
                let error = try await #require(throws: HTTPClientError.self) { try await task.value }
                #expect(error.code == .shutdown)
            }
            let late = try await #require(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(url: server.url("/echo")))
            }
            #expect(late.code == .shutdown)
            await client.shutdown()  // idempotent
        }
    }

    @Test("the curl thread does not keep a dropped client alive (deinit requests shutdown)")
    func dropWithoutShutdown() async throws {
        try await TestHTTPServer.with { server in
            weak var weakClient: HTTPClient?
            do {
                let client = HTTPClient(logger: .init(label: "tierflow.http.tests"))
                weakClient = client
                let response = try await client.execute(HTTPRequest(url: server.url("/echo")))
                #expect(response.status == 200)
            }
            #expect(weakClient == nil)
        }
    }
}
