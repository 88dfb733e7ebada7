import Foundation
import TierflowCore

/// When to try a failed backend call again, and how long to wait first.
///
/// Exponential backoff with full jitter: before retry n (after failed attempt n) the policy waits a
/// uniformly random time in `[0, min(maxDelay, baseDelay · 2^(n-1)))`. When the server sent
/// `Retry-After`, the wait is at least that long, but never more than `maxDelay`. Only
/// ``BackendError/isRetryable`` errors are retried (never client errors or an open circuit), at most
/// `maxAttempts` attempts in all, and never when the wait would reach past the deadline.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first one included; 1 means no retries.
    public var maxAttempts: Int
    /// The backoff cap of the first retry; it doubles with each further retry.
    public var baseDelay: Duration
    /// The longest wait before a retry, `Retry-After` included.
    public var maxDelay: Duration
    /// Uniform random numbers in `[0, 1)`, for the jitter.
    public var random: @Sendable () -> Double

    /// Creates a policy.
    public init(
        maxAttempts: Int, baseDelay: Duration, maxDelay: Duration,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(.zero, baseDelay)
        self.maxDelay = max(.zero, maxDelay)
        self.random = random
    }

    /// The policy of a tier's `retry` settings.
    public init(_ retry: TierConfig.Retry, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.init(
            maxAttempts: retry.maxAttempts, baseDelay: .milliseconds(retry.baseDelayMilliseconds),
            maxDelay: .milliseconds(retry.maxDelayMilliseconds), random: random)
    }

    /// The wait before the retry that follows failed attempt `attempt` (1-based), honouring `retryAfter`.
    public func backoff(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let ceiling = min(maxDelay.seconds, baseDelay.seconds * pow(2, exponent))
        let jitter = min(max(random(), 0), 1)
        var wait = Duration.seconds(ceiling * jitter)
        if let retryAfter { wait = max(wait, retryAfter) }
        return min(wait, maxDelay)
    }

    /// How long to wait before retrying after attempt `attempt` failed with `error`, or nil to give up:
    /// the error is not retryable, the attempts are used up, or the wait would not end before `remaining`
    /// (the time left until the caller's deadline, when there is one) runs out.
    public func retryDelay(after error: BackendError, attempt: Int, remaining: Duration? = nil) -> Duration? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        let retryAfter = error.retryAfterSeconds.map { Duration.seconds(max(0, $0)) }
        let wait = backoff(afterAttempt: attempt, retryAfter: retryAfter)
        if let remaining, wait >= remaining { return nil }
        return wait
    }

    /// Runs `operation` (given the 1-based attempt number) until it succeeds or the policy gives up,
    /// sleeping on `clock` between attempts, and returns its value with the number of attempts made.
    ///
    /// Errors other than ``BackendError`` (such as `CancellationError`) end the loop at once. When the
    /// policy gives up, the last error is rethrown. `onRetry` is told about each retry before its wait.
    public func run<Value: Sendable>(
        clock: BackendClock = .continuous,
        deadline: ContinuousClock.Instant? = nil,
        onRetry: (_ error: BackendError, _ attempt: Int, _ wait: Duration) -> Void = { _, _, _ in },
        _ operation: (_ attempt: Int) async throws -> Value
    ) async throws -> (value: Value, attempts: Int) {
        var attempt = 1
        while true {
            do {
                return (try await operation(attempt), attempt)
            } catch let error as BackendError {
                let remaining = deadline.map { clock.now().duration(to: $0) }
                guard let wait = retryDelay(after: error, attempt: attempt, remaining: remaining) else { throw error }
                onRetry(error, attempt, wait)
                if wait > .zero { try await clock.sleep(wait) }
                attempt += 1
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
