import Foundation

/// How long to wait between reconnect attempts: capped exponential backoff with jitter.
public struct AMQPReconnectPolicy: Sendable, Hashable {
    /// The wait before the second attempt (the first retry is immediate after a drop).
    public var initialDelay: Duration
    /// The longest wait between attempts.
    public var maximumDelay: Duration
    /// Growth per failed attempt.
    public var multiplier: Double
    /// Fraction of each wait that is randomised (0 = none, 1 = anywhere between 0 and the wait).
    public var jitter: Double

    public init(
        initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(10), multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The default: 100 ms doubling up to 10 s, half of it random.
    public static let standard = AMQPReconnectPolicy()

    /// The wait after `failures` consecutive failed attempts (0 → no wait).
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let initial = Self.seconds(initialDelay)
        let capped = min(Self.seconds(maximumDelay), initial * pow(multiplier, Double(min(failures - 1, 62))))
        let randomised = capped * (1 - jitter * Double.random(in: 0...1))
        return .nanoseconds(Int64(randomised * 1e9))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
