import Foundation
import Synchronization
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Resilient backend: concurrency cap, deadlines, factory")
struct BackendResilienceTests {
    let tier = BackendFixtures.tier(endpoint: "http://127.0.0.1:1", maxConcurrency: 2)

    func resilient(_ base: any LLMBackend, maxConcurrency: Int = 2, maxAttempts: Int = 3, clock: BackendClock = .continuous) -> ResilientBackend {
        ResilientBackend(
            wrapping: base, maxConcurrency: maxConcurrency, breaker: CircuitBreaker(failureThreshold: 100, cooldown: .seconds(1)),
            retryPolicy: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)),
            clock: clock, logger: BackendFixtures.logger)
    }

    /// Polls `condition` every millisecond, failing the test after 20 s.
    func waitUntil(_ condition: () -> Bool) async throws {
        let start = ContinuousClock.now
        while !condition() {
            try #require(start.duration(to: .now) < .seconds(20), "condition not met within 20 s")
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test func neverMoreCallsInFlightThanTheCap() async throws {
        let stub = StubBackend(delay: .milliseconds(40))
        let backend = resilient(stub, maxConcurrency: 2)
        try await withThrowingTaskGroup(of: BackendAnswer.self) { group in
            for _ in 0..<8 {
                group.addTask { try await backend.complete(BackendFixtures.prompt, tier: tier) }
            }
            for try await answer in group { #expect(answer.text == "ok") }
        }
        #expect(stub.calls == 8)
        #expect(stub.maxInFlight == 2)
    }

    @Test func retriesDoNotExceedTheCapEither() async throws {
        let stub = StubBackend(delay: .milliseconds(20)) { call in
            if call % 2 == 1 { throw BackendError(.serverError, status: 500, message: "flaky") }
            return StubBackend.answer
        }
        let backend = resilient(stub, maxConcurrency: 3, maxAttempts: 10)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<9 {
                group.addTask { try await backend.completion(BackendFixtures.prompt, tier: tier, deadline: nil).attempts }
            }
            var attempts = 0
            for try await count in group { attempts += count }
            #expect(attempts == stub.calls)
        }
        #expect(stub.maxInFlight <= 3)
        #expect(stub.calls > 9)
    }

    @Test func aCallWaitingForAPermitCanBeCancelled() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.wait()
        let waiter = Task { try await semaphore.wait() }
        try await waitUntil { semaphore.suspendedWaiters == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        semaphore.signal()
        #expect(semaphore.availablePermits == 1)
    }

    @Test func permitsGoToWaitersInArrivalOrder() async throws {
        final class Order: Sendable {
            let indices = Mutex<[Int]>([])
        }
        let semaphore = AsyncSemaphore(permits: 1)
        let order = Order()
        try await semaphore.wait()
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<3 {
            waiters.append(Task {
                try await semaphore.wait()
                order.indices.withLock { $0.append(index) }
                semaphore.signal()
            })
            try await waitUntil { semaphore.suspendedWaiters == index + 1 }  // queued before the next one
        }
        semaphore.signal()
        for waiter in waiters { try await waiter.value }
        #expect(order.indices.withLock { $0 } == [0, 1, 2])
        #expect(semaphore.availablePermits == 1)
    }

    @Test func aPassedDeadlineFailsWithoutCallingTheBackend() async throws {
        let stub = StubBackend()
        let backend = resilient(stub)
        let error = try await #require(throws: BackendError.self) {
            try await backend.completion(BackendFixtures.prompt, tier: tier, deadline: ContinuousClock.now - .seconds(1))
        }
        #expect(error.code == .timeout)
        #expect(stub.calls == 0)
    }

    @Test func theDeadlineCutsTheTierTimeout() async throws {
        final class TimeoutProbe: LLMBackend {
            let seen = Mutex<Double?>(nil)
            func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer {
                seen.withLock { $0 = tier.timeoutSeconds }
                return StubBackend.answer
            }
        }
        let probe = TimeoutProbe()
        _ = try await resilient(probe).completion(BackendFixtures.prompt, tier: tier, deadline: ContinuousClock.now + .seconds(2))
        let timeout = try #require(probe.seen.withLock { $0 })
        #expect(timeout > 1 && timeout <= 2)
        _ = try await resilient(probe).completion(BackendFixtures.prompt, tier: tier, deadline: nil)
        #expect(probe.seen.withLock { $0 } == 5)
    }

    @Test func cancellationEndsARetryingCallPromptly() async throws {
        let stub = StubBackend { _ in throw BackendError(.serverError, status: 500, message: "down") }
        let backend = ResilientBackend(
            wrapping: stub, maxConcurrency: 2, breaker: CircuitBreaker(failureThreshold: 100, cooldown: .seconds(1)),
            retryPolicy: RetryPolicy(maxAttempts: 5, baseDelay: .seconds(30), maxDelay: .seconds(30), random: { 0.9 }),
            logger: BackendFixtures.logger)
        let call = Task { try await backend.complete(BackendFixtures.prompt, tier: tier) }
        try await Task.sleep(for: .milliseconds(50))
        call.cancel()
        let (_, seconds) = await BackendFixtures.timed {
            await #expect(throws: CancellationError.self) { try await call.value }
        }
        #expect(seconds < 15)  // far below the 30 s backoff
        #expect(stub.calls == 1)
    }
}

@Suite("Resilient backend against a server", .llmTestServer)
struct BackendResilienceServerTests {
    let server: LLMTestServer

    init() throws {
        server = try #require(LLMTestServer.current)
    }

    @Test func theServerNeverSeesMoreRequestsAtOnceThanTheCap() async throws {
        try await server.script("cap", [], then: LLMTestServer.Response(body: OpenAIBodies.minimal, delay_ms: 250))
        let tier = BackendFixtures.tier(endpoint: server.endpoint("cap"), maxConcurrency: 2)
        let backend = BackendFactory.make(tier: tier, httpClient: server.client, logger: BackendFixtures.logger)
        try await withThrowingTaskGroup(of: BackendAnswer.self) { group in
            for _ in 0..<6 {
                group.addTask { try await backend.complete(BackendFixtures.prompt, tier: tier) }
            }
            for try await answer in group { #expect(answer.text == "Check the valve.") }
        }
        let recorded = try await server.recorded("cap")
        #expect(recorded.count == 6)
        #expect(recorded.max_in_flight == 2)
    }

    @Test func theFactoryPicksTheBackendByTier() async throws {
        try await server.script("factory-openai", [.json(OpenAIBodies.minimal)])
        try await server.script("factory-anthropic", [.json(#"{"model": "claude", "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}"#)])
        var simulated = BackendFixtures.tier(endpoint: "")
        simulated.maxConcurrency = 3
        let openAI = BackendFixtures.tier(endpoint: server.endpoint("factory-openai"))
        let anthropic = BackendFixtures.tier(.anthropic, endpoint: server.endpoint("factory-anthropic"))
        let made = [simulated, openAI, anthropic].map {
            BackendFactory.makeResilient(tier: $0, httpClient: server.client, logger: BackendFixtures.logger)
        }
        #expect(made[0].base is SimulatedBackend)
        #expect(made[1].base is OpenAIBackend)
        #expect(made[2].base is AnthropicBackend)
        #expect(made[0].maxConcurrency == 3)
        #expect(made[1].retryPolicy.maxAttempts == 3)
        #expect(made[1].breaker.failureThreshold == 100)
        #expect(BackendFactory.make(tier: simulated, httpClient: server.client, logger: BackendFixtures.logger) is ResilientBackend)

        let answers = [
            try await made[0].complete(BackendFixtures.prompt, tier: simulated),
            try await made[1].complete(BackendFixtures.prompt, tier: openAI),
            try await made[2].complete(BackendFixtures.prompt, tier: anthropic),
        ]
        #expect(answers.map(\.simulated) == [true, false, false])
        #expect(answers.map(\.model) == ["simulated/test-model", "llama-3.1-70b-instruct", "claude"])
    }
}
