import CTierflowShim
import Foundation
import Logging
import Synchronization

/// One dedicated OS thread that owns one ``PostgresSession`` (one libpq connection) and runs jobs on it in
/// submission order. Jobs come in through a `Mutex`-guarded queue; the thread sleeps in `poll(2)` on a
/// ``WakeSignal`` between jobs. Blocking libpq calls happen only here, never on Swift's cooperative pool.
final class PostgresThread: Sendable {
    /// Work to run on the thread. It receives the session, which must not escape the job.
    typealias Job = @Sendable (PostgresSession) -> Void

    private struct State {
        var jobs: [Job] = []
        var isClosing = false
        var isFinished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// Wakes the thread; jobs that wait (backoff) wait on it too, so `close()` interrupts them.
    let wake = WakeSignal()

    /// Starts the thread, named `name` (as `top -H`, `perf` and crash reports show it; the kernel keeps 15
    /// bytes). `onConnectionChange` is called on the thread whenever the session connects or loses its connection.
    init(
        name: String, configuration: PostgresConfiguration, logger: Logger,
        onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        let thread = Thread { [self] in
            tf_set_current_thread_name(name)
            let session = PostgresSession(
                configuration: configuration, logger: logger, onConnectionChange: onConnectionChange)
            self.runLoop(session)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Whether `close()` was called.
    var isClosing: Bool { state.withLock { $0.isClosing } }

    /// Queues `job`; returns false (and does not run it) once the thread is closing.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { state in
            guard !state.isClosing else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    /// Runs `body` on the thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = submit { session in continuation.resume(with: Result { try body(session) }) }
            if !accepted {
                continuation.resume(throwing: PostgresError(code: .connectionClosed, message: "connection is closed"))
            }
        }
    }

    /// Lets queued jobs finish, closes the connection and ends the thread; returns when it has ended.
    func close() async {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state in
                state.isClosing = true
                if state.isFinished { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if finished { continuation.resume() } else { wake.signal() }
        }
    }

    /// Asks the thread to finish without waiting (from `deinit` of an owner).
    func closeSoon() {
        state.withLock { $0.isClosing = true }
        wake.signal()
    }

    private func runLoop(_ session: PostgresSession) {
        while true {
            let (jobs, isClosing) = state.withLock { state in
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return (state.jobs, state.isClosing)
            }
            if jobs.isEmpty {
                if isClosing { break }
                wake.wait()
                continue
            }
            for job in jobs { job(session) }
        }
        session.close()
        let waiters = state.withLock { state in
            state.isFinished = true
            defer { state.finishWaiters.removeAll() }
            return state.finishWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
