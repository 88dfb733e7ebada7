import Foundation
import Logging
import Synchronization
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

/// Tiers, prompts, clocks and stub backends for the backend tests.
enum BackendFixtures {
    /// The API key of test tiers; no error or log may contain it.
    static let apiKey = "sk-test-SECRET-4f1b9c"

    static let logger = Logger(label: "tierflow.backends.tests")

    /// A tier for `endpoint` with fast retries and a breaker that does not get in the way.
    static func tier(
        _ backend: TierConfig.Backend = .openai, endpoint: String, apiKey: String = BackendFixtures.apiKey,
        timeoutSeconds: Double = 5, maxAttempts: Int = 3, maxDelayMilliseconds: Int = 5_000, breakerFailures: Int = 100,
        cooldownSeconds: Double = 10, maxConcurrency: Int = 8
    ) -> TierConfig {
        var tier = Fixtures.config.tiers[0]
        tier.name = "test"
        tier.backend = backend
        tier.endpoint = endpoint
        tier.model = "test-model"
        tier.apiKey = Secret(apiKey)
        tier.timeoutSeconds = timeoutSeconds
        tier.maxOutputTokens = 256
        tier.maxConcurrency = maxConcurrency
        tier.retry = TierConfig.Retry(maxAttempts: maxAttempts, baseDelayMilliseconds: 10, maxDelayMilliseconds: maxDelayMilliseconds)
        tier.circuitBreaker = TierConfig.CircuitBreaker(failures: breakerFailures, cooldownSeconds: cooldownSeconds)
        return tier
    }

    static let prompt = Prompt(
        messages: [
            .init(role: "system", content: "You are a maintenance engineer."),
            .init(role: "user", content: "Pump P-101 reports FLW COND CW HIGH ALM. Cause?"),
        ], maxTokens: 77)

    /// Seconds elapsed while running `body`.
    static func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let value = try await body()
        return (value, start.duration(to: .now).seconds)
    }
}

/// A clock that only moves when told to (or when something sleeps on it), recording each sleep.
final class ManualClock: Sendable {
    private struct State {
        var offset: Duration = .zero
        var sleeps: [Duration] = []
    }

    private let origin = ContinuousClock.now
    private let state = Mutex(State())

    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func advance(by duration: Duration) { state.withLock { $0.offset += duration } }

    var clock: BackendClock {
        BackendClock(
            now: { [self] in origin.advanced(by: state.withLock { $0.offset }) },
            sleep: { [self] duration in
                try Task.checkCancellation()
                state.withLock {
                    $0.sleeps.append(duration)
                    $0.offset += duration
                }
            })
    }
}

/// A backend whose answers come from a closure, counting calls and the most in flight at once.
final class StubBackend: LLMBackend {
    private struct Counters {
        var calls = 0
        var inFlight = 0
        var maxInFlight = 0
    }

    private let counters = Mutex(Counters())
    private let delay: Duration
    private let respond: @Sendable (_ call: Int) throws -> BackendAnswer

    init(delay: Duration = .zero, respond: @escaping @Sendable (_ call: Int) throws -> BackendAnswer = { _ in StubBackend.answer }) {
        self.delay = delay
        self.respond = respond
    }

    static let answer = BackendAnswer(text: "ok", model: "stub", tokensIn: 1, tokensOut: 1, finishReason: "stop")

    var calls: Int { counters.withLock { $0.calls } }
    var maxInFlight: Int { counters.withLock { $0.maxInFlight } }

    func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer {
        let call: Int = counters.withLock {
            $0.calls += 1
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
            return $0.calls
        }
        defer { counters.withLock { $0.inFlight -= 1 } }
        if delay > .zero { try await Task.sleep(for: delay) }
        return try respond(call)
    }
}
