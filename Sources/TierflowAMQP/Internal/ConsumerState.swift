import Synchronization

/// What the consumer's callers and its connection thread share, behind one lock.
final class ConsumerState: Sendable {
    /// A request for the connection thread.
    enum Command: Sendable {
        /// `requeue == nil` acks; otherwise nacks. Without `done`, the caller does not wait for the outcome.
        case settle(tag: UInt64, generation: UInt64, requeue: Bool?, done: CheckedContinuation<Void, any Error>?)
        case stopConsuming(done: CheckedContinuation<Void, Never>)
    }

    struct Fields {
        var commands: [Command] = []
        var closeRequested = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var terminated = false
        var generation: UInt64 = 0
        var isConnected = false
        var queueName = ""
    }

    let fields = Mutex(Fields())
    let wake = WakeSignal()
    /// Distinguishes this consumer's deliveries from other consumers'.
    let id = UInt64.random(in: 1...UInt64.max)

    /// Hands a command to the thread, or answers it at once if the consumer is closed.
    func send(_ command: Command) {
        let accepted = fields.withLock { fields in
            guard !fields.terminated && !fields.closeRequested else { return false }
            fields.commands.append(command)
            return true
        }
        if accepted {
            wake.signal()
        } else {
            Self.refuse(command)
        }
    }

    func takeCommands() -> (commands: [Command], close: Bool) {
        fields.withLock { fields in
            let commands = fields.commands
            fields.commands.removeAll(keepingCapacity: true)
            return (commands, fields.closeRequested)
        }
    }

    func connected(generation: UInt64, queueName: String) {
        fields.withLock {
            $0.generation = generation
            $0.queueName = queueName
            $0.isConnected = true
        }
    }

    func disconnected() { fields.withLock { $0.isConnected = false } }

    /// Marks the consumer finished: refuses queued commands and releases `close()` callers.
    func terminate() {
        let (commands, waiters) = fields.withLock { fields in
            fields.terminated = true
            fields.isConnected = false
            let commands = fields.commands
            fields.commands = []
            let waiters = fields.closeWaiters
            fields.closeWaiters = []
            return (commands, waiters)
        }
        for command in commands { Self.refuse(command) }
        for waiter in waiters { waiter.resume() }
    }

    private static func refuse(_ command: Command) {
        switch command {
        case .settle(_, _, _, let done):
            done?.resume(throwing: AMQPError(code: .closed, message: "the consumer is closed; nothing was settled"))
        case .stopConsuming(let done):
            done.resume()
        }
    }
}
