import Synchronization

/// A counting semaphore for async code: waiters suspend (no thread blocks) and are admitted first come,
/// first served. A waiting task that is cancelled leaves the queue and throws `CancellationError`.
final class AsyncSemaphore: Sendable {
    private enum Waiter {
        /// Registered, not yet suspended.
        case pending
        /// Cancelled before it suspended.
        case cancelled
        case suspended(CheckedContinuation<Void, any Error>)
    }

    private struct State {
        var available: Int
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Suspended waiters' ids in arrival order (cancelled ones are skipped when signalled).
        var queue: [UInt64] = []
    }

    private let state: Mutex<State>

    /// Creates a semaphore with `permits` permits.
    init(permits: Int) {
        state = Mutex(State(available: max(0, permits)))
    }

    /// Free permits right now (for tests and metrics).
    var availablePermits: Int { state.withLock { $0.available } }

    /// Tasks suspended waiting for a permit right now (for tests and metrics).
    var suspendedWaiters: Int {
        state.withLock { state in
            state.waiters.values.count { if case .suspended = $0 { true } else { false } }
        }
    }

    /// Takes a permit, suspending until one is free.
    func wait() async throws {
        let id: UInt64? = state.withLock { state in
            if state.available > 0 {
                state.available -= 1
                return nil
            }
            let id = state.nextID
            state.nextID &+= 1
            state.waiters[id] = .pending
            return id
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled: Bool = state.withLock { state in
                    if case .cancelled = state.waiters[id] {
                        state.waiters[id] = nil
                        return true
                    }
                    state.waiters[id] = .suspended(continuation)
                    state.queue.append(id)
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>? = state.withLock { state in
                switch state.waiters[id] {
                case .pending:
                    state.waiters[id] = .cancelled
                    return nil
                case .suspended(let continuation):
                    state.waiters[id] = nil
                    return continuation
                case .cancelled, nil:
                    return nil
                }
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Returns a permit, admitting the longest-waiting task if there is one.
    func signal() {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { state in
            while !state.queue.isEmpty {
                let id = state.queue.removeFirst()
                if case .suspended(let continuation) = state.waiters.removeValue(forKey: id) {
                    return continuation
                }
            }
            state.available += 1
            return nil
        }
        next?.resume()
    }

    /// Runs `body` holding a permit.
    func withPermit<Value>(_ body: () async throws -> Value) async throws -> Value {
        try await wait()
        defer { signal() }
        return try await body()
    }
}
