import CLibPQ
import Foundation
import Logging
import Synchronization

/// LISTENs on channels with its own connection and dedicated thread, which waits in `poll(2)` on the
/// connection's socket and a wake-up pipe. After a reconnect it LISTENs again and yields a `.resubscribed`
/// notification on every stream (notifications sent meanwhile are lost).
public final class PostgresListener: Sendable {
    private struct Subscriber {
        var channel: String
        var continuation: AsyncStream<PostgresNotification>.Continuation
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        var isClosing = false
        var isFinished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
        /// Channels LISTENed on the current connection, and callers waiting for one.
        var listening: Set<String> = []
        var listenWaiters: [(channel: String, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let wake = WakeSignal()
    private let health = HealthFlag()

    /// Starts the listener thread; it connects in the background and retries with backoff.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        let thread = Thread { [self] in
            let health = self.health
            let session = PostgresSession(
                configuration: configuration, logger: logger, onConnectionChange: { health.set($0) })
            self.run(session)
        }
        thread.name = "postgres-listen:\(configuration.applicationName)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        state.withLock { $0.isClosing = true }
        wake.signal()
    }

    /// Whether the listener is connected.
    public var isConnected: Bool { health.value }

    /// Notifications on `channel` (exact, case-sensitive name) from now on. The stream ends when the
    /// listener is closed; ending the iteration stops listening on the channel if no other stream wants it.
    public func notifications(channel: String) -> AsyncStream<PostgresNotification> {
        let (stream, continuation) = AsyncStream.makeStream(of: PostgresNotification.self, bufferingPolicy: .bufferingNewest(10_000))
        let id: UInt64? = state.withLock { state in
            guard !state.isClosing else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(channel: channel, continuation: continuation)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
            wake.signal()
        }
        wake.signal()
        return stream
    }

    /// Returns once `channel` is LISTENed on the current connection (so a notification sent afterwards will
    /// arrive), or when the listener closes. Call after ``notifications(channel:)``.
    public func waitUntilListening(channel: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.listening.contains(channel) || state.isFinished { return true }
                state.listenWaiters.append((channel, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Stops listening, ends every stream and closes the connection.
    public func close() async {
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

    // MARK: On the listener thread

    private func run(_ session: PostgresSession) {
        var listened = Set<String>()
        var generation = 0
        while true {
            let (wanted, isClosing) = state.withLock { state in
                (Set(state.subscribers.values.map(\.channel)), state.isClosing)
            }
            if isClosing { break }
            do {
                try session.ensureConnected()
                if session.connectionGeneration != generation {
                    let isReconnect = generation != 0
                    generation = session.connectionGeneration
                    listened = []
                    try sync(wanted: wanted, listened: &listened, session)
                    if isReconnect { broadcastResubscribed() }
                } else {
                    try sync(wanted: wanted, listened: &listened, session)
                }
                try deliver(session)
                wake.wait(socket: session.socket)
            } catch {
                state.withLock { $0.listening.removeAll() }
                session.logger.warning("postgres listener disconnected", metadata: ["db.error": "\(error)"])
                wake.wait(timeout: max(.milliseconds(10), session.reconnectDelay))
            }
        }
        session.close()
        let (subscribers, waiters) = state.withLock { state in
            state.isFinished = true
            defer {
                state.subscribers.removeAll()
                state.finishWaiters.removeAll()
                state.listenWaiters.removeAll()
            }
            return (Array(state.subscribers.values), state.finishWaiters + state.listenWaiters.map(\.continuation))
        }
        subscribers.forEach { $0.continuation.finish() }
        waiters.forEach { $0.resume() }
    }

    private func sync(wanted: Set<String>, listened: inout Set<String>, _ session: PostgresSession) throws {
        for channel in wanted.subtracting(listened) {
            try session.executeScript("LISTEN " + session.escapeIdentifier(channel))
            listened.insert(channel)
        }
        for channel in listened.subtracting(wanted) {
            try session.executeScript("UNLISTEN " + session.escapeIdentifier(channel))
            listened.remove(channel)
        }
        let current = listened
        let ready = state.withLock { state in
            state.listening = current
            let ready = state.listenWaiters.filter { current.contains($0.channel) }
            state.listenWaiters.removeAll { current.contains($0.channel) }
            return ready
        }
        ready.forEach { $0.continuation.resume() }
    }

    /// Reads what the socket has and yields every queued notification to the streams of its channel.
    private func deliver(_ session: PostgresSession) throws {
        guard let connection = session.rawConnection else { return }
        if PQconsumeInput(connection) == 0 {
            throw session.error(from: nil, sql: "LISTEN")
        }
        while let notify = PQnotifies(connection) {
            let notification = PostgresNotification(
                channel: String(cString: notify.pointee.relname), payload: String(cString: notify.pointee.extra),
                senderProcessID: notify.pointee.be_pid)
            PQfreemem(notify)
            let targets = state.withLock { state in
                state.subscribers.values.filter { $0.channel == notification.channel }.map(\.continuation)
            }
            targets.forEach { $0.yield(notification) }
        }
    }

    private func broadcastResubscribed() {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers {
            subscriber.continuation.yield(
                PostgresNotification(channel: subscriber.channel, payload: "", kind: .resubscribed))
        }
    }
}
