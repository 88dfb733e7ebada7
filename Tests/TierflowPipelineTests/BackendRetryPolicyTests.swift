import Foundation
import Synchronization
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Backend retry policy")
struct BackendRetryPolicyTests {
    func policy(maxAttempts: Int = 4, random: Double = 0.5) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(100), maxDelay: .seconds(1), random: { random })
    }

    @Test func backoffDoublesWithFullJitterUpToTheCap() {
        let half = policy(random: 0.5)
        #expect(half.backoff(afterAttempt: 1) == .milliseconds(50))
        #expect(half.backoff(afterAttempt: 2) == .milliseconds(100))
        #expect(half.backoff(afterAttempt: 3) == .milliseconds(200))
        #expect(half.backoff(afterAttempt: 5) == .milliseconds(500))  // 1.6 s capped at 1 s, then halved
        #expect(half.backoff(afterAttempt: 60) == .milliseconds(500))
        #expect(policy(random: 0).backoff(afterAttempt: 3) == .zero)
        #expect(policy(random: 0.999).backoff(afterAttempt: 30) < .seconds(1))
    }

    @Test func retryAfterIsAFloorCappedByMaxDelay() {
        let none = policy(random: 0)
        #expect(none.backoff(afterAttempt: 1, retryAfter: .milliseconds(700)) == .milliseconds(700))
        #expect(none.backoff(afterAttempt: 1, retryAfter: .seconds(60)) == .seconds(1))
        // A longer jittered backoff wins over a short Retry-After.
        #expect(policy(random: 0.5).backoff(afterAttempt: 4, retryAfter: .milliseconds(10)) == .milliseconds(400))
    }

    @Test func tierSettingsBecomeThePolicy() {
        let policy = RetryPolicy(TierConfig.Retry(maxAttempts: 6, baseDelayMilliseconds: 250, maxDelayMilliseconds: 8_000))
        #expect(policy.maxAttempts == 6)
        #expect(policy.baseDelay == .milliseconds(250))
        #expect(policy.maxDelay == .seconds(8))
    }

    @Test func onlyRetryableErrorsAreRetriedWhileAttemptsRemain() {
        let policy = policy(maxAttempts: 3, random: 0.5)
        #expect(policy.retryDelay(after: BackendError(.serverError, status: 500, message: "x"), attempt: 1) == .milliseconds(50))
        #expect(policy.retryDelay(after: BackendError(.timeout, message: "x"), attempt: 2) == .milliseconds(100))
        #expect(policy.retryDelay(after: BackendError(.transport, message: "x"), attempt: 3) == nil)
        #expect(policy.retryDelay(after: BackendError(.clientError, status: 400, message: "x"), attempt: 1) == nil)
        #expect(policy.retryDelay(after: BackendError(.circuitOpen, message: "x"), attempt: 1) == nil)
        let limited = BackendError(.rateLimited, status: 429, retryAfterSeconds: 0.8, message: "x")
        #expect(policy.retryDelay(after: limited, attempt: 1) == .milliseconds(800))
    }

    @Test func noRetryWhoseWaitWouldOutlastTheDeadline() {
        let policy = policy(random: 0.5)
        let limited = BackendError(.rateLimited, status: 429, retryAfterSeconds: 0.8, message: "x")
        #expect(policy.retryDelay(after: limited, attempt: 1, remaining: .milliseconds(500)) == nil)
        #expect(policy.retryDelay(after: limited, attempt: 1, remaining: .seconds(2)) == .milliseconds(800))
        #expect(policy.retryDelay(after: BackendError(.timeout, message: "x"), attempt: 1, remaining: .zero) == nil)
    }

    @Test func runRetriesUntilSuccessSleepingOnTheClock() async throws {
        let manual = ManualClock()
        let failures = Mutex(0)
        let (value, attempts) = try await policy(random: 0.5).run(clock: manual.clock) { attempt in
            if attempt < 3 {
                failures.withLock { $0 += 1 }
                throw BackendError(.serverError, status: 503, message: "busy")
            }
            return "answer \(attempt)"
        }
        #expect(value == "answer 3")
        #expect(attempts == 3)
        #expect(failures.withLock { $0 } == 2)
        #expect(manual.sleeps == [.milliseconds(50), .milliseconds(100)])
    }

    @Test func runGivesUpWithTheLastError() async throws {
        let manual = ManualClock()
        let calls = Mutex(0)
        let error = try await #require(throws: BackendError.self) {
            try await policy(maxAttempts: 3).run(clock: manual.clock) { attempt -> Int in
                calls.withLock { $0 += 1 }
                throw BackendError(.serverError, status: 500 + attempt, message: "attempt \(attempt)")
            }
        }
        #expect(error.status == 503)
        #expect(calls.withLock { $0 } == 3)
        #expect(manual.sleeps.count == 2)
    }

    @Test func runDoesNotRetryClientErrorsOrOtherErrors() async throws {
        let manual = ManualClock()
        let calls = Mutex(0)
        let error = try await #require(throws: BackendError.self) {
            try await policy().run(clock: manual.clock) { _ -> Int in
                calls.withLock { $0 += 1 }
                throw BackendError(.clientError, status: 401, message: "bad key")
            }
        }
        #expect(error.code == .clientError)
        #expect(calls.withLock { $0 } == 1)
        await #expect(throws: CancellationError.self) {
            try await policy().run(clock: manual.clock) { _ -> Int in
                calls.withLock { $0 += 1 }
                throw CancellationError()
            }
        }
        #expect(calls.withLock { $0 } == 2)
        #expect(manual.sleeps.isEmpty)
    }

    @Test func runStopsRetryingAtTheDeadline() async throws {
        let manual = ManualClock()
        let calls = Mutex(0)
        let deadline = manual.clock.now().advanced(by: .milliseconds(120))
        // Waits of 50 ms then 100 ms: the second would end after the deadline.
        let error = try await #require(throws: BackendError.self) {
            try await policy(maxAttempts: 10).run(clock: manual.clock, deadline: deadline) { _ -> Int in
                calls.withLock { $0 += 1 }
                throw BackendError(.timeout, message: "slow")
            }
        }
        #expect(error.code == .timeout)
        #expect(calls.withLock { $0 } == 2)
        #expect(manual.sleeps == [.milliseconds(50)])
    }
}

@Suite("Backend HTTP helpers")
struct BackendHTTPHelperTests {
    @Test(arguments: [
        ("http://h:1", "http://h:1/v1/chat/completions"),
        ("http://h:1/", "http://h:1/v1/chat/completions"),
        ("http://h:1/v1", "http://h:1/v1/chat/completions"),
        ("http://h:1/v1/", "http://h:1/v1/chat/completions"),
        ("https://api.example.com/openai", "https://api.example.com/openai/v1/chat/completions"),
    ])
    func endpointsGetOneV1(endpoint: String, expected: String) {
        #expect(BackendHTTPExchange.url(endpoint: endpoint, path: "chat/completions") == expected)
    }

    @Test func retryAfterInSecondsOrAsAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(BackendHTTPExchange.parseRetryAfter("1", now: now) == 1)
        #expect(BackendHTTPExchange.parseRetryAfter(" 120 ", now: now) == 120)
        #expect(BackendHTTPExchange.parseRetryAfter("Sun, 06 Nov 1994 08:50:37 GMT", now: now) == 60)
        #expect(BackendHTTPExchange.parseRetryAfter("Sunday, 06-Nov-94 08:49:47 GMT", now: now) == 10)
        #expect(BackendHTTPExchange.parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0)
        #expect(BackendHTTPExchange.parseRetryAfter("-5", now: now) == nil)
        #expect(BackendHTTPExchange.parseRetryAfter("soon", now: now) == nil)
    }

    @Test func serverMessagesFromCommonErrorShapes() {
        func message(_ json: String) -> String { BackendHTTPExchange.serverMessage(Array(json.utf8)) }
        #expect(message(#"{"error": {"message": "model not found", "type": "invalid_request_error"}}"#) == "model not found")
        #expect(message(#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#) == "Overloaded")
        #expect(message(#"{"object": "error", "message": "vLLM says no"}"#) == "vLLM says no")
        #expect(message(#"{"detail": "Not Found"}"#) == "Not Found")
        #expect(message("<html>Bad Gateway</html>") == "<html>Bad Gateway</html>")
        #expect(message("") == "(empty body)")
    }

    @Test func errorTextsAreTruncatedAndNeverCarryTheKey() {
        let tier = BackendFixtures.tier(endpoint: "http://127.0.0.1:1")
        let echoed = BackendHTTPExchange.scrub("Incorrect API key provided: \(BackendFixtures.apiKey).\nTry again", tier: tier)
        #expect(!echoed.contains(BackendFixtures.apiKey))
        #expect(echoed == "Incorrect API key provided: (redacted). Try again")
        let long = BackendHTTPExchange.scrub(String(repeating: "x", count: 5_000), tier: tier)
        #expect(long.count == BackendHTTPExchange.maxErrorTextLength + 1)
    }
}
