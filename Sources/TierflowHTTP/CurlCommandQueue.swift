import CCurl
import Synchronization

/// Where a transfer's outcome goes.
enum TransferSink: Sendable {
    /// The whole response at the end.
    case buffered(CheckedContinuation<HTTPResponse, any Error>)
    /// The status and headers as soon as they are complete, then the body in chunks.
    case streaming(
        head: CheckedContinuation<HTTPStreamingResponse.Head, any Error>,
        body: AsyncThrowingStream<[UInt8], any Error>.Continuation
    )

    /// Fails the transfer before it started.
    func fail(_ error: any Error) {
        switch self {
        case .buffered(let continuation):
            continuation.resume(throwing: error)
        case .streaming(let head, let body):
            head.resume(throwing: error)
            body.finish(throwing: error)
        }
    }
}

/// A request for the curl thread.
enum CurlCommand: Sendable {
    case start(id: UInt64, request: PreparedRequest, sink: TransferSink)
    case cancel(id: UInt64)
    case shutdown
}

/// A `CURLM *` that may cross threads. Only `curl_multi_wakeup`, which libcurl documents as callable from
/// any thread, is used outside the curl thread, and only while the handle is known to be alive.
struct CurlMultiPointer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

/// The `Mutex`-guarded command queue between async callers and the curl thread.
///
/// An enqueue into an empty queue wakes `curl_multi_poll` with `curl_multi_wakeup`; while commands are
/// waiting, a wakeup is already pending (the curl thread drains them all at once), so later enqueues skip the
/// syscall. The wakeup runs under the lock and the curl thread marks the queue closed under the same lock
/// before it cleans the multi handle up, so no wakeup can reach a freed handle.
final class CurlCommandQueue: Sendable {
    /// What ``enqueueStart(id:request:sink:)`` did.
    enum StartOutcome {
        case enqueued
        case cancelled
        case shutdown
    }

    private struct State {
        var commands: [CurlCommand] = []
        /// Set by `shutdown()`: new requests are refused.
        var shutdownRequested = false
        /// Set by the curl thread when it stops reading commands; the multi handle is about to go.
        var closed = false
        /// Set by the curl thread as its last act.
        var finished = false
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let multi: CurlMultiPointer

    init(multi: CurlMultiPointer) {
        self.multi = multi
    }

    /// Queues a transfer unless the client is shut down or the calling task is already cancelled.
    ///
    /// Cancellation is checked under the lock, so a cancel command enqueued by the task's cancellation
    /// handler either follows this start in the queue or this start is refused.
    func enqueueStart(id: UInt64, request: PreparedRequest, sink: TransferSink) -> StartOutcome {
        state.withLock { state in
            if state.shutdownRequested || state.closed { return .shutdown }
            if Task.isCancelled { return .cancelled }
            append(.start(id: id, request: request, sink: sink), to: &state)
            return .enqueued
        }
    }

    /// Asks the curl thread to abandon transfer `id` (ignored if it already finished).
    func enqueueCancel(id: UInt64) {
        state.withLock { state in
            guard !state.closed else { return }
            append(.cancel(id: id), to: &state)
        }
    }

    /// Refuses new requests and asks the curl thread to stop; `waiter` resumes once it has.
    func requestShutdown(waiter: CheckedContinuation<Void, Never>?) {
        let finishedAlready = state.withLock { state -> Bool in
            if state.finished { return true }
            if let waiter { state.shutdownWaiters.append(waiter) }
            if !state.shutdownRequested {
                state.shutdownRequested = true
                if !state.closed { append(.shutdown, to: &state) }
            }
            return false
        }
        if finishedAlready { waiter?.resume() }
    }

    /// Queues `command` (under the lock), waking the curl thread if nothing was waiting before it.
    private func append(_ command: CurlCommand, to state: inout State) {
        state.commands.append(command)
        if state.commands.count == 1 { _ = curl_multi_wakeup(multi.raw) }
    }

    /// Takes every queued command (curl thread).
    func drain() -> [CurlCommand] {
        state.withLock { state in
            let commands = state.commands
            state.commands.removeAll(keepingCapacity: true)
            return commands
        }
    }

    /// Stops accepting commands and returns the ones still queued (curl thread, before multi cleanup).
    func close() -> [CurlCommand] {
        state.withLock { state in
            state.closed = true
            state.shutdownRequested = true
            let commands = state.commands
            state.commands = []
            return commands
        }
    }

    /// Marks the curl thread finished and resumes `shutdown()` callers (curl thread, last act).
    func markFinished() {
        let waiters = state.withLock { state in
            state.finished = true
            let waiters = state.shutdownWaiters
            state.shutdownWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
