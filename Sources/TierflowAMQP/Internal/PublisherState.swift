import Synchronization

/// One `publish` call waiting for its confirm.
struct PublishRequest: Sendable {
    /// Submission order; republishing after a reconnect keeps it.
    var order: UInt64
    var exchange: String
    var routingKey: String
    var body: [UInt8]
    var properties: AMQPMessageProperties
    var mandatory: Bool
    /// Sent on some connection already (so sending it again is a republish).
    var wasSent = false
    var continuation: CheckedContinuation<AMQPPublishOutcome, any Error>
}

/// What the publisher's callers and its connection thread share, behind one lock.
final class PublisherState: Sendable {
    struct Fields {
        /// Submitted, not yet taken by the thread (FIFO from `head`).
        var queued: [PublishRequest] = []
        var head = 0
        var nextOrder: UInt64 = 0
        /// Set by `close()`: finish what is in flight until the deadline, accept nothing new.
        var closeDeadline: ContinuousClock.Instant?
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        /// Set once the thread has finished; new publishes fail with it.
        var terminated: AMQPError?
        var statistics = AMQPPublisher.Statistics()
        var isConnected = false
        var isBlocked = false
    }

    let fields = Mutex(Fields())
    let wake = WakeSignal()

    /// Queues a publish and wakes the thread, or fails it at once if the publisher is closing.
    func submit(
        exchange: String, routingKey: String, body: [UInt8], properties: AMQPMessageProperties, mandatory: Bool,
        continuation: CheckedContinuation<AMQPPublishOutcome, any Error>
    ) {
        let refusal: AMQPError? = fields.withLock { fields in
            if let terminated = fields.terminated { return terminated }
            if fields.closeDeadline != nil {
                return AMQPError(code: .closed, message: "the publisher is closing; publish refused")
            }
            fields.nextOrder += 1
            fields.queued.append(
                PublishRequest(
                    order: fields.nextOrder, exchange: exchange, routingKey: routingKey, body: body,
                    properties: properties, mandatory: mandatory, continuation: continuation))
            return nil
        }
        if let refusal {
            continuation.resume(throwing: refusal)
        } else {
            wake.signal()
        }
    }

    /// Takes up to `limit` queued publishes (oldest first).
    func take(limit: Int) -> [PublishRequest] {
        guard limit > 0 else { return [] }
        return fields.withLock { fields in
            let available = fields.queued.count - fields.head
            guard available > 0 else { return [] }
            let end = fields.head + min(limit, available)
            let taken = Array(fields.queued[fields.head..<end])
            fields.head = end
            if fields.head == fields.queued.count {
                fields.queued.removeAll(keepingCapacity: true)
                fields.head = 0
            } else if fields.head > 4096 && fields.head * 2 > fields.queued.count {
                fields.queued.removeFirst(fields.head)
                fields.head = 0
            }
            return taken
        }
    }

    /// Whether publishes wait to be taken.
    var hasQueued: Bool { fields.withLock { $0.queued.count > $0.head } }

    /// When `close()` asked to finish by, if it did.
    var closeDeadline: ContinuousClock.Instant? { fields.withLock { $0.closeDeadline } }

    func update(_ change: (inout AMQPPublisher.Statistics) -> Void) {
        fields.withLock { change(&$0.statistics) }
    }

    func setConnected(_ connected: Bool) {
        fields.withLock {
            $0.isConnected = connected
            $0.isBlocked = false
        }
    }

    func setBlocked(_ blocked: Bool) {
        fields.withLock { $0.isBlocked = blocked }
    }

    /// Marks the publisher finished: fails whatever is still queued and releases `close()` callers.
    func terminate(with error: AMQPError) {
        let (queued, waiters) = fields.withLock { fields in
            fields.terminated = error
            fields.isConnected = false
            let queued = Array(fields.queued[fields.head...])
            fields.queued = []
            fields.head = 0
            let waiters = fields.closeWaiters
            fields.closeWaiters = []
            return (queued, waiters)
        }
        for request in queued { request.continuation.resume(throwing: error) }
        for waiter in waiters { waiter.resume() }
    }
}
