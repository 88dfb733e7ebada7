import CTierflowShim
import Foundation
import Logging
import Synchronization

/// A connection on its own OS thread that runs synchronous broker calls (declare, inspect, delete) one at
/// a time for async callers. Idle, it keeps reading so heartbeats flow; a lost connection is reopened on
/// the next call (a failed call reports its error and is not retried).
final class CommandThread: Sendable {
    typealias Job = @Sendable (AMQPConnection?, (any Error)?) -> Void

    private struct Fields {
        var jobs: [Job] = []
        var closeRequested = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var terminated = false
    }

    private let fields = Mutex(Fields())
    private let wake = WakeSignal()
    let endpoint: AMQPEndpoint

    /// Starts the thread, named `name` (the kernel keeps 15 bytes), and connects; throws if the first connect fails.
    init(endpoint: AMQPEndpoint, name: String, logger: Logger) async throws {
        self.endpoint = endpoint
        try await withCheckedThrowingContinuation { (startup: CheckedContinuation<Void, any Error>) in
            let thread = Thread { [self] in
                tf_set_current_thread_name(name)
                self.serve(startup: startup, logger: logger)
            }
            thread.start()
        }
    }

    deinit {
        requestClose(waiter: nil)
    }

    /// Runs `body` on the connection thread and returns its result.
    func run<T: Sendable>(_ body: @Sendable @escaping (AMQPConnection) throws(AMQPError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
            let job: Job = { connection, connectError in
                guard let connection else {
                    done.resume(throwing: connectError ?? AMQPError(code: .closed, message: "the connection is closed"))
                    return
                }
                do { done.resume(returning: try body(connection)) } catch { done.resume(throwing: error) }
            }
            let accepted = fields.withLock { fields in
                guard !fields.terminated && !fields.closeRequested else { return false }
                fields.jobs.append(job)
                return true
            }
            if accepted { wake.signal() } else { job(nil, nil) }
        }
    }

    /// Closes the connection and ends the thread.
    func close() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in requestClose(waiter: waiter) }
    }

    private func requestClose(waiter: CheckedContinuation<Void, Never>?) {
        let finished = fields.withLock { fields in
            if fields.terminated { return true }
            fields.closeRequested = true
            if let waiter { fields.closeWaiters.append(waiter) }
            return false
        }
        if finished { waiter?.resume() } else { wake.signal() }
    }

    // MARK: The thread

    private func serve(startup: CheckedContinuation<Void, any Error>, logger: Logger) {
        var connection: AMQPConnection?
        do {
            connection = try AMQPConnection(endpoint: endpoint)
            startup.resume()
        } catch {
            terminate()
            startup.resume(throwing: error)
            return
        }
        while true {
            wake.drain()
            let (jobs, close) = fields.withLock { fields in
                let jobs = fields.jobs
                fields.jobs.removeAll()
                return (jobs, fields.closeRequested)
            }
            for job in jobs {
                var connectError: AMQPError?
                if connection == nil || connection?.isOpen == false {
                    do { connection = try AMQPConnection(endpoint: endpoint) } catch {
                        connection = nil
                        connectError = error
                    }
                }
                job(connection, connectError)
            }
            if close { break }
            if let open = connection, open.isOpen {
                do {
                    while let frame = try open.nextFrame() {
                        if case .connectionClosed = frame { break }
                    }
                    open.releaseBuffers()
                } catch {
                    logger.debug("idle connection lost", metadata: ["amqp.error": .string(error.description)])
                }
            }
            let socket = connection?.isOpen == true ? connection?.socketFD : nil
            _ = wake.wait(socket: socket, timeout: endpoint.idleWakeInterval)
        }
        connection?.close()
        connection = nil
        terminate()
    }

    private func terminate() {
        let (jobs, waiters) = fields.withLock { fields in
            fields.terminated = true
            let jobs = fields.jobs
            fields.jobs = []
            let waiters = fields.closeWaiters
            fields.closeWaiters = []
            return (jobs, waiters)
        }
        for job in jobs { job(nil, nil) }
        for waiter in waiters { waiter.resume() }
    }
}
