import Foundation
import Testing
@testable import TierflowHTTP

@Suite("HTTPClient connections and concurrency")
struct HTTPClientConnectionTests {
    @Test("sequential requests reuse one keep-alive connection")
    func sequentialKeepAlive() async throws {
        try await TestHTTPServer.with { server in
            try await withClient { client in
                for index in 0..<20 {
                    let response = try await client.execute(HTTPRequest(url: server.url("/echo/\(index)")))
                    #expect(response.status == 200)
                }
                let stats = try await fetchStats(client, server)
                #expect(stats.requests == 20)
                #expect(stats.connections == 1)
            }
        }
    }

    @Test("200 concurrent requests complete over far fewer connections")
    func concurrentKeepAlive() async throws {
        try await TestHTTPServer.with { server in
            let configuration = HTTPClient.Configuration(maxConnectionsPerHost: 8)
            try await withClient(configuration) { client in
                let paths = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            let response = try await client.execute(HTTPRequest(url: server.url("/echo/\(index)")))
                            try #require(response.status == 200)
                            return try response.decode(EchoReply.self).path
                        }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(paths.count == 200)
                let stats = try await fetchStats(client, server)
                #expect(stats.requests == 200)
                #expect(stats.connections <= 8)
            }
        }
    }

    @Test("throughput against the local server (reported, not asserted)")
    func throughput() async throws {
        try await TestHTTPServer.with { server in
            try await withClient(HTTPClient.Configuration(maxConnectionsPerHost: 16)) { client in
                let url = server.url("/echo")
                let clock = ContinuousClock()
                let sequentialCount = 300
                let sequential = try await clock.measure {
                    for _ in 0..<sequentialCount {
                        let response = try await client.execute(HTTPRequest(url: url))
                        try #require(response.status == 200)
                    }
                }
                let concurrentCount = 1000, width = 32
                let concurrent = try await clock.measure {
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for worker in 0..<width {
                            group.addTask {
                                var done = 0
                                for _ in stride(from: worker, to: concurrentCount, by: width) {
                                    let response = try await client.execute(HTTPRequest(url: url))
                                    if response.status == 200 { done += 1 }
                                }
                                return done
                            }
                        }
                        let done = try await group.reduce(0, +)
                        #expect(done == concurrentCount)
                    }
                }
                let stats = try await fetchStats(client, server)
                func rate(_ count: Int, _ duration: Duration) -> Int {
                    Int(Double(count) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18))
                }
                print(
                    "HTTP throughput: sequential \(rate(sequentialCount, sequential)) req/s (\(sequentialCount) in \(sequential)), "
                        + "concurrent(\(width)) \(rate(concurrentCount, concurrent)) req/s (\(concurrentCount) in \(concurrent)), "
                        + "server saw \(stats.connections) connections for \(stats.requests) requests"
                )
                #expect(stats.requests == sequentialCount + concurrentCount)
            }
        }
    }
}
