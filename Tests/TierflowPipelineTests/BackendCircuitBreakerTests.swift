import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Backend circuit breaker")
struct BackendCircuitBreakerTests {
    let manual = ManualClock()

    func breaker(failures: Int = 3) -> CircuitBreaker {
        CircuitBreaker(failureThreshold: failures, cooldown: .seconds(10), clock: manual.clock)
    }

    func fail(_ breaker: CircuitBreaker, times: Int) throws {
        for _ in 0..<times {
            breaker.record(.failure, for: try breaker.acquire())
        }
    }

    @Test func opensAfterConsecutiveFailuresAndFailsFast() throws {
        let breaker = breaker(failures: 3)
        try fail(breaker, times: 2)
        #expect(breaker.state == .closed)
        try fail(breaker, times: 1)
        #expect(breaker.state == .open)
        let error = try #require(throws: BackendError.self) { try breaker.acquire() }
        #expect(error.code == .circuitOpen)
        #expect(!error.isRetryable)
        #expect(error.message.contains("3 consecutive failures"))
    }

    @Test func aSuccessResetsTheCount() throws {
        let breaker = breaker(failures: 3)
        try fail(breaker, times: 2)
        breaker.record(.success, for: try breaker.acquire())
        try fail(breaker, times: 2)
        #expect(breaker.state == .closed)
    }

    @Test func neutralOutcomesDoNotCount() throws {
        let breaker = breaker(failures: 2)
        for _ in 0..<5 {
            breaker.record(.neutral, for: try breaker.acquire())
        }
        #expect(breaker.state == .closed)
        #expect(CircuitBreaker.outcome(of: BackendError(.clientError, status: 401, message: "")) == .neutral)
        #expect(CircuitBreaker.outcome(of: CancellationError()) == .neutral)
        #expect(CircuitBreaker.outcome(of: BackendError(.rateLimited, status: 429, message: "")) == .failure)
        #expect(CircuitBreaker.outcome(of: BackendError(.malformedResponse, message: "")) == .failure)
    }

    @Test func afterTheCooldownExactlyOneProbeGoesThroughAndItsSuccessCloses() throws {
        let breaker = breaker(failures: 1)
        try fail(breaker, times: 1)
        manual.advance(by: .seconds(9))
        #expect(throws: BackendError.self) { try breaker.acquire() }
        manual.advance(by: .seconds(1))
        #expect(breaker.state == .halfOpen)
        let probe = try breaker.acquire()
        #expect(probe.isProbe)
        let refused = try #require(throws: BackendError.self) { try breaker.acquire() }
        #expect(refused.code == .circuitOpen)
        #expect(breaker.state == .halfOpen)
        breaker.record(.success, for: probe)
        #expect(breaker.state == .closed)
        #expect(try breaker.acquire().isProbe == false)
    }

    @Test func aFailedProbeReopensForAnotherCooldown() throws {
        let breaker = breaker(failures: 1)
        try fail(breaker, times: 1)
        manual.advance(by: .seconds(10))
        breaker.record(.failure, for: try breaker.acquire())
        #expect(breaker.state == .open)
        #expect(throws: BackendError.self) { try breaker.acquire() }
        manual.advance(by: .seconds(10))
        #expect(try breaker.acquire().isProbe)
    }

    @Test func aNeutralProbeLetsTheNextCallerProbe() throws {
        let breaker = breaker(failures: 1)
        try fail(breaker, times: 1)
        manual.advance(by: .seconds(10))
        breaker.record(.neutral, for: try breaker.acquire())
        #expect(breaker.state == .halfOpen)
        let next = try breaker.acquire()
        #expect(next.isProbe)
    }

    @Test func lateOutcomesOfOlderCallsAreIgnored() throws {
        let breaker = breaker(failures: 2)
        let early = try breaker.acquire()
        let lateSuccess = try breaker.acquire()
        try fail(breaker, times: 2)
        #expect(breaker.state == .open)
        breaker.record(.success, for: lateSuccess)
        #expect(breaker.state == .open)
        manual.advance(by: .seconds(10))
        let probe = try breaker.acquire()
        breaker.record(.failure, for: early)
        #expect(breaker.state == .halfOpen)
        breaker.record(.success, for: probe)
        #expect(breaker.state == .closed)
    }

    @Test func tierSettingsBecomeTheBreaker() {
        let breaker = CircuitBreaker(TierConfig.CircuitBreaker(failures: 7, cooldownSeconds: 2.5))
        #expect(breaker.failureThreshold == 7)
        #expect(breaker.cooldown == .milliseconds(2_500))
        #expect(breaker.state == .closed)
    }
}

@Suite("Backend circuit breaker against a server", .llmTestServer)
struct BackendCircuitBreakerServerTests {
    func backend(_ server: LLMTestServer) -> ResilientBackend {
        let breaker = CircuitBreaker(failureThreshold: 2, cooldown: .milliseconds(200))
        let retry = RetryPolicy(maxAttempts: 1, baseDelay: .milliseconds(10), maxDelay: .milliseconds(10))
        return ResilientBackend(
            wrapping: OpenAIBackend(httpClient: server.client, logger: BackendFixtures.logger), maxConcurrency: 4,
            breaker: breaker, retryPolicy: retry, logger: BackendFixtures.logger)
    }

    @Test func opensFailsFastWithoutSendingThenAProbeClosesIt() async throws {
        let server = try #require(LLMTestServer.current)
        try await server.script("breaker-close", [.error(500, "down"), .error(500, "down"), .json(OpenAIBodies.minimal)])
        let tier = BackendFixtures.tier(endpoint: server.endpoint("breaker-close"))
        let backend = backend(server)
        for _ in 0..<2 {
            let error = try await #require(throws: BackendError.self) { try await backend.complete(BackendFixtures.prompt, tier: tier) }
            #expect(error.code == .serverError)
        }
        #expect(backend.breaker.state == .open)
        for _ in 0..<3 {
            let error = try await #require(throws: BackendError.self) { try await backend.complete(BackendFixtures.prompt, tier: tier) }
            #expect(error.code == .circuitOpen)
        }
        #expect(try await server.recorded("breaker-close").count == 2)

        try await Task.sleep(for: .milliseconds(250))
        #expect(backend.breaker.state == .halfOpen)
        let answer = try await backend.complete(BackendFixtures.prompt, tier: tier)
        #expect(answer.text == "Check the valve.")
        #expect(backend.breaker.state == .closed)
        #expect(try await server.recorded("breaker-close").count == 3)
    }

    @Test func aFailedProbeReopensIt() async throws {
        let server = try #require(LLMTestServer.current)
        try await server.script("breaker-reopen", [], then: .error(503, "still down"))
        let tier = BackendFixtures.tier(endpoint: server.endpoint("breaker-reopen"))
        let backend = backend(server)
        for _ in 0..<2 {
            _ = try? await backend.complete(BackendFixtures.prompt, tier: tier)
        }
        #expect(backend.breaker.state == .open)
        try await Task.sleep(for: .milliseconds(250))
        let probe = try await #require(throws: BackendError.self) { try await backend.complete(BackendFixtures.prompt, tier: tier) }
        #expect(probe.status == 503)
        #expect(backend.breaker.state == .open)
        let refused = try await #require(throws: BackendError.self) { try await backend.complete(BackendFixtures.prompt, tier: tier) }
        #expect(refused.code == .circuitOpen)
        #expect(try await server.recorded("breaker-reopen").count == 3)
    }

    @Test func clientErrorsDoNotOpenIt() async throws {
        let server = try #require(LLMTestServer.current)
        try await server.script("breaker-client", [], then: .error(401, "bad key"))
        let tier = BackendFixtures.tier(endpoint: server.endpoint("breaker-client"))
        let backend = backend(server)
        for _ in 0..<4 {
            let error = try await #require(throws: BackendError.self) { try await backend.complete(BackendFixtures.prompt, tier: tier) }
            #expect(error.code == .clientError)
        }
        #expect(backend.breaker.state == .closed)
        #expect(try await server.recorded("breaker-client").count == 4)
    }
}
