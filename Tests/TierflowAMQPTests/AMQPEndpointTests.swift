import Testing

@testable import TierflowAMQP

@Suite("AMQPEndpoint URL parsing")
struct AMQPEndpointTests {
    @Test func parsesAFullURL() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://worker:s3cret@broker.local:5699/tierflow", connectionName: "w1")
        #expect(endpoint.host == "broker.local")
        #expect(endpoint.port == 5699)
        #expect(endpoint.virtualHost == "tierflow")
        #expect(endpoint.username == "worker")
        #expect(endpoint.password == "s3cret")
        #expect(endpoint.connectionName == "w1")
        #expect(endpoint.heartbeatSeconds == 30)
    }

    @Test func appliesDefaults() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://localhost")
        #expect(endpoint.port == 5672)
        #expect(endpoint.virtualHost == "/")
        #expect(endpoint.username == "guest")
        #expect(try AMQPEndpoint(url: "amqp://localhost/").virtualHost == "/")
    }

    @Test func percentDecodesUserPasswordAndVirtualHost() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://us%40er:p%3Aa%2Fss%40@h:1/%2f")
        #expect(endpoint.username == "us@er")
        #expect(endpoint.password == "p:a/ss@")
        #expect(endpoint.virtualHost == "/")
        #expect(try AMQPEndpoint(url: "amqp://u:p@h/%2Fstaging").virtualHost == "/staging")
    }

    @Test func readsQueryParameters() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://u:p@h/v?heartbeat=7&connection_name=abc&connection_timeout=1500")
        #expect(endpoint.heartbeatSeconds == 7)
        #expect(endpoint.connectionName == "abc")
        #expect(endpoint.connectTimeout == .milliseconds(1500))
    }

    @Test func parsesIPv6Hosts() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://u:p@[::1]:5700/v")
        #expect(endpoint.host == "::1")
        #expect(endpoint.port == 5700)
        #expect(endpoint.description == "amqp://u:***@[::1]:5700/v")
    }

    @Test func redactsThePassword() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://worker:tops3cret@h:5699/tierflow")
        #expect(endpoint.description == "amqp://worker:***@h:5699/tierflow")
        #expect(!endpoint.debugDescription.contains("tops3cret"))
        #expect(!String(reflecting: endpoint).contains("tops3cret"))
        var dumped = ""
        dump(endpoint, to: &dumped)
        #expect(!dumped.contains("tops3cret"))
    }

    @Test(arguments: [
        ("http://h/v", "scheme"),
        ("amqps://h/v", "TLS"),
        ("h:5672", "expected amqp://"),
        ("amqp://u:p@h:99999/v", "port"),
        ("amqp://u:p@h:abc/v", "port"),
        ("amqp://u:p@/v", "missing host"),
        ("amqp://u:p@h/a/b", "one path segment"),
        ("amqp://u:p@h/v%zz", "percent-encoding"),
        ("amqp://u:p@h/v?bogus=1", "unknown query parameter"),
        ("amqp://u:p@h/v?heartbeat=x", "heartbeat"),
    ])
    func rejectsBadURLsNamingWhy(url: String, reason: String) {
        #expect {
            _ = try AMQPEndpoint(url: url)
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            return error.code == .invalidURL && error.message.contains(reason)
        }
    }

    @Test func badURLErrorsDoNotLeakThePassword() throws {
        let error = try #require(throws: AMQPError.self) { try AMQPEndpoint(url: "amqp://u:hunter2@h:notaport/v") }
        #expect(error.code == .invalidURL)
        #expect(!error.description.contains("hunter2"))
        #expect(error.description.contains("u:***@h"))
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = AMQPReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), jitter: 0)
        #expect(policy.delay(afterFailures: 0) == .zero)
        #expect(policy.delay(afterFailures: 1) == .milliseconds(100))
        #expect(policy.delay(afterFailures: 3) == .milliseconds(400))
        #expect(policy.delay(afterFailures: 30) == .seconds(1))
        let jittered = AMQPReconnectPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(1), jitter: 0.5)
        for _ in 0..<20 {
            let delay = jittered.delay(afterFailures: 2)
            #expect(delay >= .milliseconds(500) && delay <= .seconds(1))
        }
    }
}
