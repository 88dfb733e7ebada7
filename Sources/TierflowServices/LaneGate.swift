import Synchronization

/// Counts a stage's live deliveries in flight and lets batch work start only when there are none.
final class LaneGate: Sendable {
    private struct State {
        var live = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// A live delivery arrived.
    func liveStarted() {
        state.withLock { $0.live += 1 }
    }

    /// A live delivery was settled; wakes batch work waiting for the live lane to empty.
    func liveFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.live -= 1
            guard state.live == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Live deliveries in flight now.
    var liveInFlight: Int { state.withLock { $0.live } }

    /// Returns once no live delivery is in flight.
    func waitUntilLiveIdle() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.live == 0 { return true }
                state.waiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }
}
