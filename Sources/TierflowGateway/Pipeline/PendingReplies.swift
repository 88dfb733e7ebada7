import Synchronization
import TierflowPipeline

/// Requests waiting for their result, by correlation id: the reply consumer hands each result to its waiter.
///
/// A request registers (``expect(_:deadline:)``) before it publishes, so a result that arrives before the
/// waiter is parked is kept for it. ``expire(now:)`` fails waiters past their deadline; results for nobody
/// (a timed-out request, a repeated delivery) are dropped.
public final class PendingReplies: Sendable {
    private enum Slot {
        case expecting(deadline: ContinuousClock.Instant)
        case waiting(CheckedContinuation<ResultMessage, any Error>, deadline: ContinuousClock.Instant)
        case arrived(ResultMessage)
    }

    /// Why a wait ended without a result.
    public enum Failure: Error, Sendable, Hashable {
        case timedOut
        case cancelled
    }

    private let slots = Mutex<[String: Slot]>([:])

    public init() {}

    /// Registers interest in the result for `id`, due by `deadline`.
    public func expect(_ id: String, deadline: ContinuousClock.Instant) {
        slots.withLock { $0[id] = .expecting(deadline: deadline) }
    }

    /// Forgets `id` (its publish failed).
    public func discard(_ id: String) {
        _ = slots.withLock { $0.removeValue(forKey: id) }
    }

    /// Waits for the result for `id`; throws ``Failure``.
    public func wait(_ id: String) async throws -> ResultMessage {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ResultMessage, any Error>) in
                let immediate: Result<ResultMessage, Failure>? = slots.withLock { slots in
                    switch slots[id] {
                    case .expecting(let deadline):
                        slots[id] = .waiting(continuation, deadline: deadline)
                        return nil
                    case .arrived(let result):
                        slots[id] = nil
                        return .success(result)
                    case .waiting, nil:
                        return .failure(.timedOut)
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            fail(id, with: .cancelled)
        }
    }

    /// Hands `result` to whoever waits for `id`; returns false when nobody does.
    @discardableResult
    public func deliver(_ result: ResultMessage, for id: String) -> Bool {
        let waiter: CheckedContinuation<ResultMessage, any Error>? = slots.withLock { slots in
            switch slots[id] {
            case .expecting:
                slots[id] = .arrived(result)
                return nil
            case .waiting(let continuation, _):
                slots[id] = nil
                return continuation
            case .arrived, nil:
                return nil
            }
        }
        guard let waiter else { return slots.withLock { $0[id] != nil } }
        waiter.resume(returning: result)
        return true
    }

    /// Fails every waiter whose deadline is before `now`; returns how many.
    @discardableResult
    public func expire(now: ContinuousClock.Instant) -> Int {
        let expired: [CheckedContinuation<ResultMessage, any Error>] = slots.withLock { slots in
            var expired: [CheckedContinuation<ResultMessage, any Error>] = []
            for (id, slot) in slots {
                switch slot {
                case .waiting(let continuation, let deadline) where deadline <= now:
                    expired.append(continuation)
                    slots[id] = nil
                case .expecting(let deadline) where deadline <= now:
                    slots[id] = nil
                case .arrived, .waiting, .expecting:
                    break
                }
            }
            return expired
        }
        for continuation in expired { continuation.resume(throwing: Failure.timedOut) }
        return expired.count
    }

    /// Fails every waiter (at shutdown).
    public func failAll() {
        let all = slots.withLock { slots in
            defer { slots = [:] }
            return slots.values.compactMap { slot -> CheckedContinuation<ResultMessage, any Error>? in
                if case .waiting(let continuation, _) = slot { return continuation }
                return nil
            }
        }
        for continuation in all { continuation.resume(throwing: Failure.cancelled) }
    }

    /// Requests registered and not yet answered.
    public var count: Int { slots.withLock { $0.count } }

    private func fail(_ id: String, with failure: Failure) {
        let waiter: CheckedContinuation<ResultMessage, any Error>? = slots.withLock { slots in
            guard case .waiting(let continuation, _) = slots[id] else {
                slots[id] = nil
                return nil
            }
            slots[id] = nil
            return continuation
        }
        waiter?.resume(throwing: failure)
    }
}
