import Logging
import TierflowCore
import TierflowMetrics

/// Wraps a backend with what a worker needs to call it safely: a concurrency cap, a circuit breaker
/// and retries with backoff.
///
/// Each attempt waits (suspended) for one of `maxConcurrency` permits, asks the ``CircuitBreaker``
/// for admission, calls the backend and reports the outcome to the breaker; failed attempts are
/// retried by the ``RetryPolicy``, without holding a permit while waiting. Client errors are neither
/// retried nor counted against the breaker; an open circuit fails at once with
/// ``BackendError/Code/circuitOpen``. Cancellation ends everything promptly with `CancellationError`.
///
/// One instance serves one tier: limits, breaker and retries come from the tier it was created with.
/// ``complete(_:tier:)`` makes it an ``LLMBackend``; ``completion(_:tier:deadline:)`` also reports the
/// number of attempts and honours a deadline.
public struct ResilientBackend: LLMBackend {
    /// A successful call and what it took.
    public struct Completion: Sendable, Hashable {
        public var answer: BackendAnswer
        /// Attempts made, the successful one included (1 when the first attempt succeeded).
        public var attempts: Int
        /// Retries made: `attempts - 1`.
        public var retries: Int { attempts - 1 }
    }

    /// The wrapped backend.
    public let base: any LLMBackend
    /// The tier's circuit breaker, for its ``CircuitBreaker/state``.
    public let breaker: CircuitBreaker
    /// The retry policy applied to each call.
    public let retryPolicy: RetryPolicy
    /// The most calls to `base` in flight at once.
    public let maxConcurrency: Int
    private let permits: AsyncSemaphore
    private let clock: BackendClock
    private let logger: Logger
    /// Attempts, errors by code, retries and circuit state of the tier, for `/metrics`.
    public let metrics: BackendMetrics

    /// Wraps `base` with the limits, breaker and retries configured for `tier`.
    public init(wrapping base: any LLMBackend, tier: TierConfig, clock: BackendClock = .continuous, logger: Logger) {
        self.init(
            wrapping: base, maxConcurrency: tier.maxConcurrency,
            breaker: CircuitBreaker(tier.circuitBreaker, clock: clock), retryPolicy: RetryPolicy(tier.retry),
            clock: clock, logger: logger, metricsTier: tier.name)
    }

    /// Wraps `base` with explicit parts (for tests, or to share a breaker).
    public init(
        wrapping base: any LLMBackend, maxConcurrency: Int, breaker: CircuitBreaker, retryPolicy: RetryPolicy,
        clock: BackendClock = .continuous, logger: Logger, metricsTier: String = "unnamed"
    ) {
        metrics = BackendMetrics(tier: metricsTier)
        self.base = base
        self.breaker = breaker
        self.retryPolicy = retryPolicy
        self.maxConcurrency = max(1, maxConcurrency)
        permits = AsyncSemaphore(permits: max(1, maxConcurrency))
        self.clock = clock
        self.logger = logger
    }

    public func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer {
        try await completion(prompt, tier: tier, deadline: nil).answer
    }

    /// Answers `prompt`, retrying as the policy allows, and reports the attempts made.
    ///
    /// With a `deadline`, no retry starts whose wait would end after it, no attempt starts once it has
    /// passed (that throws ``BackendError/Code/timeout``), and each attempt's timeout is cut to the time
    /// left (``TierConfig/timeoutSeconds`` is what the HTTP backends use as their request timeout).
    public func completion(_ prompt: Prompt, tier: TierConfig, deadline: ContinuousClock.Instant?) async throws -> Completion {
        let (answer, attempts) = try await retryPolicy.run(
            clock: clock, deadline: deadline,
            onRetry: { error, attempt, wait in
                metrics.retried()
                logger.info(
                    "retrying backend call",
                    metadata: [
                        "tier.name": "\(tier.name)", "backend.attempt": "\(attempt)", "error.code": "\(error.code)",
                        "retry.wait_ms": "\(Int(wait.seconds * 1000))",
                    ])
            },
            { attempt in try await self.attempt(prompt, tier: tier, deadline: deadline) })
        return Completion(answer: answer, attempts: attempts)
    }

    /// One attempt: a permit, the breaker's admission, the call, the outcome reported.
    private func attempt(_ prompt: Prompt, tier: TierConfig, deadline: ContinuousClock.Instant?) async throws -> BackendAnswer {
        try await permits.withPermit {
            var tier = tier
            if let deadline {
                let remaining = clock.now().duration(to: deadline).seconds
                guard remaining > 0 else {
                    throw BackendError(.timeout, message: "tier \(tier.name): the query's deadline has passed")
                }
                tier.timeoutSeconds = min(tier.timeoutSeconds, remaining)
            }
            let ticket: CircuitBreaker.Ticket
            do throws(BackendError) {
                ticket = try breaker.acquire()
            } catch {
                metrics.failed(code: BackendError.Code.circuitOpen.description, after: nil)
                metrics.circuit(breaker.metricsState)
                logger.debug("circuit open, call not sent", metadata: ["tier.name": "\(tier.name)"])
                throw BackendError(.circuitOpen, message: "tier \(tier.name): \(error.message)")
            }
            let started = ContinuousClock.now
            do {
                let answer = try await base.complete(prompt, tier: tier)
                breaker.record(.success, for: ticket)
                metrics.succeeded(after: started.duration(to: .now))
                if ticket.isProbe { metrics.circuit(breaker.metricsState) }
                return answer
            } catch {
                breaker.record(CircuitBreaker.outcome(of: error), for: ticket)
                let code = (error as? BackendError)?.code.description ?? (error is CancellationError ? "cancelled" : "other")
                metrics.failed(code: code, after: started.duration(to: .now))
                metrics.circuit(breaker.metricsState)
                if ticket.isProbe || breaker.state == .open {
                    logger.warning(
                        "backend call failed",
                        metadata: ["tier.name": "\(tier.name)", "error": "\(error)", "breaker.state": "\(breaker.state)"])
                }
                throw error
            }
        }
    }
}

extension CircuitBreaker {
    /// The state as the `tierflow_circuit_state` gauge reports it.
    var metricsState: BackendMetrics.CircuitState {
        switch state {
        case .closed: .closed
        case .halfOpen: .halfOpen
        case .open: .open
        }
    }
}
