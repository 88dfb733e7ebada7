import Synchronization

/// Decides when a stage may start batch-lane work, so that live traffic keeps its latency.
///
/// No batch message starts while a live delivery is in flight. While live traffic is flowing — a live delivery
/// started or finished within the last `quietPeriod` — batch messages run one at a time and at most
/// `ratePerSecondWhileLive` of them start per second, which leaves the machine's cores to the live events; once
/// live traffic has been quiet that long, up to the caller's limit run at once, unpaced.
final class LaneGate: Sendable {
    private struct State {
        var live = 0
        var batch = 0
        var lastLive: ContinuousClock.Instant?
        /// The earliest start of the next batch message while live traffic is flowing.
        var nextPacedStart: ContinuousClock.Instant?
        /// Batch work waiting for a turn; resumed to look again.
        var waiters: [CheckedContinuation<Turn, Never>] = []
    }

    private enum Turn {
        case start
        case lookAgain
        case sleep(Duration)
    }

    private let state = Mutex(State())
    private let quietPeriod: Duration
    private let pacing: Duration?

    /// - Parameters:
    ///   - quietPeriod: how long after the last live delivery batch work stays throttled.
    ///   - ratePerSecondWhileLive: batch messages started per second while throttled; 0 means unpaced.
    init(quietPeriod: Duration = .milliseconds(500), ratePerSecondWhileLive: Double = 0) {
        self.quietPeriod = quietPeriod
        pacing = ratePerSecondWhileLive > 0 ? .nanoseconds(Int64(1e9 / ratePerSecondWhileLive)) : nil
    }

    /// A live delivery arrived.
    func liveStarted() {
        state.withLock { state in
            state.live += 1
            state.lastLive = .now
        }
    }

    /// A live delivery was settled; wakes batch work waiting for the live lane to empty.
    func liveFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Turn, Never>] in
            state.live -= 1
            state.lastLive = .now
            guard state.live == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: .lookAgain) }
    }

    /// Batch messages started and not yet finished.
    var batchInFlight: Int { state.withLock { $0.batch } }

    /// Returns once a batch message may start (see the type's rules), counting it as started; pair with
    /// ``batchFinished()``.
    func acquireBatchTurn(limit: Int) async {
        while true {
            let turn = await withCheckedContinuation { (waiter: CheckedContinuation<Turn, Never>) in
                let now = ContinuousClock.now
                let turn = state.withLock { state -> Turn? in
                    let recent = state.lastLive.map { now - $0 < quietPeriod } ?? false
                    guard state.live == 0 && state.batch < (recent ? 1 : max(1, limit)) else {
                        // Woken by the live lane emptying or a batch message finishing.
                        state.waiters.append(waiter)
                        return nil
                    }
                    if recent, let pacing {
                        if let next = state.nextPacedStart, now < next { return .sleep(next - now) }
                        state.nextPacedStart = now + pacing
                    }
                    state.batch += 1
                    return .start
                }
                if let turn { waiter.resume(returning: turn) }
            }
            switch turn {
            case .start: return
            case .lookAgain: continue
            case .sleep(let duration): try? await Task.sleep(for: duration)
            }
        }
    }

    /// A batch message started with ``acquireBatchTurn(limit:)`` was settled.
    func batchFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Turn, Never>] in
            state.batch -= 1
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: .lookAgain) }
    }
}
