import Synchronization
import TierflowCore

/// Stops calling a backend that keeps failing, and lets one probe through now and then to see whether
/// it has recovered.
///
/// Closed: every call goes through; `failureThreshold` consecutive failures open the circuit.
/// Open: calls are refused at once with ``BackendError/Code/circuitOpen`` until `cooldown` has passed.
/// Half-open: exactly one probe call goes through (the others are refused); its success closes the
/// circuit, its failure opens it again for another cooldown. A probe that ends neutrally (client
/// error, cancellation) frees the probe slot for the next caller.
///
/// Callers ``acquire()`` a ``Ticket`` before each call and report its outcome with ``record(_:for:)``.
/// Outcomes of calls admitted before the last state change (a failure arriving after the circuit
/// already opened, say) are ignored, so only the probe decides a half-open circuit.
public final class CircuitBreaker: Sendable {
    /// The state, for metrics and health checks.
    public enum State: String, Sendable, Hashable, CustomStringConvertible {
        case closed
        case open
        /// The cooldown has passed: the next call (or the one in flight) is the probe.
        case halfOpen = "half_open"

        public var description: String { rawValue }
    }

    /// How a call ended, as far as the breaker is concerned.
    public enum Outcome: Sendable, Hashable {
        /// The backend answered.
        case success
        /// The backend is unwell: 5xx, 408/409/429, timeout, transport error, malformed answer.
        case failure
        /// Says nothing about the backend's health: a client error (4xx) or a cancelled call.
        case neutral
    }

    /// Permission to make one call; pass it back to ``record(_:for:)``.
    public struct Ticket: Sendable, Hashable {
        /// Whether this call is the half-open probe.
        public let isProbe: Bool
        fileprivate let generation: UInt64
    }

    private enum Phase {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(probeInFlight: Bool)
    }

    private struct Status {
        var phase: Phase = .closed(consecutiveFailures: 0)
        /// Bumped on every state change; tickets of older generations no longer count.
        var generation: UInt64 = 0
    }

    /// Consecutive failures that open the circuit.
    public let failureThreshold: Int
    /// How long the circuit stays open before a probe is allowed.
    public let cooldown: Duration
    private let clock: BackendClock
    private let status = Mutex(Status())

    /// Creates a closed breaker.
    public init(failureThreshold: Int, cooldown: Duration, clock: BackendClock = .continuous) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = max(.zero, cooldown)
        self.clock = clock
    }

    /// A breaker with a tier's `circuit_breaker` settings.
    public convenience init(_ settings: TierConfig.CircuitBreaker, clock: BackendClock = .continuous) {
        self.init(failureThreshold: settings.failures, cooldown: .seconds(settings.cooldownSeconds), clock: clock)
    }

    /// The current state; an open circuit whose cooldown has passed reports ``State/halfOpen``.
    public var state: State {
        let now = clock.now()
        return status.withLock { status in
            switch status.phase {
            case .closed: .closed
            case .open(let until): now >= until ? .halfOpen : .open
            case .halfOpen: .halfOpen
            }
        }
    }

    /// Admits one call, or throws ``BackendError/Code/circuitOpen`` when the circuit refuses it.
    public func acquire() throws(BackendError) -> Ticket {
        let now = clock.now()
        let admitted: Ticket? = status.withLock { status in
            switch status.phase {
            case .closed:
                return Ticket(isProbe: false, generation: status.generation)
            case .open(let until):
                guard now >= until else { return nil }
            case .halfOpen(let probeInFlight):
                guard !probeInFlight else { return nil }
            }
            status.phase = .halfOpen(probeInFlight: true)
            status.generation &+= 1
            return Ticket(isProbe: true, generation: status.generation)
        }
        guard let admitted else {
            throw BackendError(.circuitOpen, message: refusalMessage(now: now))
        }
        return admitted
    }

    /// Reports how the call admitted by `ticket` ended.
    public func record(_ outcome: Outcome, for ticket: Ticket) {
        let now = clock.now()
        status.withLock { status in
            guard ticket.generation == status.generation else { return }
            switch (status.phase, outcome) {
            case (.closed, .success):
                status.phase = .closed(consecutiveFailures: 0)
            case (.closed(let failures), .failure):
                if failures + 1 >= failureThreshold {
                    status.phase = .open(until: now.advanced(by: cooldown))
                    status.generation &+= 1
                } else {
                    status.phase = .closed(consecutiveFailures: failures + 1)
                }
            case (.halfOpen, .success) where ticket.isProbe:
                status.phase = .closed(consecutiveFailures: 0)
                status.generation &+= 1
            case (.halfOpen, .failure) where ticket.isProbe:
                status.phase = .open(until: now.advanced(by: cooldown))
                status.generation &+= 1
            case (.halfOpen, .neutral) where ticket.isProbe:
                status.phase = .halfOpen(probeInFlight: false)
            default:
                break
            }
        }
    }

    /// Classifies a call's error for ``record(_:for:)``.
    public static func outcome(of error: any Error) -> Outcome {
        guard let error = error as? BackendError else {
            return error is CancellationError ? .neutral : .failure
        }
        return error.code == .clientError || error.code == .circuitOpen ? .neutral : .failure
    }

    private func refusalMessage(now: ContinuousClock.Instant) -> String {
        let phase = status.withLock { $0.phase }
        if case .open(let until) = phase {
            let wait = max(.zero, now.duration(to: until))
            return "circuit open after \(failureThreshold) consecutive failures; next probe in \(Self.format(wait))"
        }
        return "circuit half-open; a probe call is in flight"
    }

    private static func format(_ duration: Duration) -> String {
        let tenths = Int((duration.seconds * 10).rounded(.up))
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
