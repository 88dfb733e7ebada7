import CLibPQ
import CTierflowShim
import Foundation
import Logging
import Synchronization

/// The thread behind ``PostgresListener``: it owns a ``PostgresSession`` and waits in `poll(2)` on the
/// connection's socket and a ``WakeSignal``; subscribers and waiters live in a `Mutex`-guarded state.
final class ListenerLoop: Sendable {
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
    let health = HealthFlag()

    init(configuration: PostgresConfiguration, logger: Logger) {
        let thread = Thread { [self] in
            tf_set_current_thread_name("pg-listen")
            let health = self.health
            let session = PostgresSession(configuration: configuration, logger: logger, onConnectionChange: { health.set($0) })
            self.run(session)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func subscribe(channel: String) -> AsyncStream<PostgresNotification> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: PostgresNotification.self, bufferingPolicy: .bufferingNewest(10_000))
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

    func waitUntilListening(channel: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.listening.contains(channel) || state.isFinished { return true }
                state.listenWaiters.append((channel, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

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

    func closeSoon() {
        state.withLock { $0.isClosing = true }
        wake.signal()
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
                let isNewConnection = session.connectionGeneration != generation
                let isReconnect = isNewConnection && generation != 0
                if isNewConnection {
                    generation = session.connectionGeneration
                    listened = []
                }
                try sync(wanted: wanted, listened: &listened, session)
                if isReconnect { broadcastResubscribed() }
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

    /// LISTENs to wanted channels not yet listened to and UNLISTENs the rest; channel names are quoted
    /// with `PQescapeIdentifier`.
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
            subscriber.continuation.yield(PostgresNotification(channel: subscriber.channel, payload: "", kind: .resubscribed))
        }
    }
}
