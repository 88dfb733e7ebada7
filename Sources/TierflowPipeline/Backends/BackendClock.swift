/// The time source of retries, deadlines and circuit breakers: the continuous clock in production, a
/// manual one in tests.
///
/// `sleep` must suspend (never block a thread) and should throw `CancellationError` when the task is
/// cancelled, as `Task.sleep` does.
public struct BackendClock: Sendable {
    /// The current instant.
    public var now: @Sendable () -> ContinuousClock.Instant
    /// Suspends the caller for the given duration.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates a clock from its two operations.
    public init(
        now: @escaping @Sendable () -> ContinuousClock.Instant,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.sleep = sleep
    }

    /// `ContinuousClock` and `Task.sleep`.
    public static let continuous = BackendClock(
        now: { ContinuousClock.now },
        sleep: { duration in try await Task.sleep(for: duration) }
    )
}
