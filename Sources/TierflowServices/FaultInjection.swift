import Foundation
import Synchronization

/// Deterministic crash points for the fault-injection suite (docs/faults.md).
///
/// `TIERFLOW_FAULT_CRASH=POINT:N` makes the process SIGKILL itself when the N-th message reaches `POINT`,
/// one of `after-llm` (a tier worker, once the backend call returned), `after-commit` (the hop's rows are
/// committed), `after-publish` (its outputs are confirmed by the broker) or `before-ack` (just before the
/// input is acknowledged). The variable is read once, when the process starts (``arm(environment:)``);
/// unset, every ``reach(_:)`` is one load of a nil optional and a branch.
public enum FaultInjection {
    /// Where in the per-hop protocol a crash can be injected.
    public enum Point: String, Sendable, CaseIterable, CustomStringConvertible {
        case afterLLM = "after-llm"
        case afterCommit = "after-commit"
        case afterPublish = "after-publish"
        case beforeAck = "before-ack"

        public var description: String { rawValue }
    }

    /// The environment variable that arms a crash point.
    public static let variable = "TIERFLOW_FAULT_CRASH"

    /// A malformed `TIERFLOW_FAULT_CRASH`.
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// An armed crash: the point and after how many messages reaching it.
    public final class Trigger: Sendable {
        public let point: Point
        public let count: Int
        let reached = Atomic<Int>(0)

        init(point: Point, count: Int) {
            self.point = point
            self.count = count
        }
    }

    /// Parses `POINT:N` (N ≥ 1; `POINT` alone means 1). Empty means unarmed.
    public static func parse(_ text: String) throws(ParseError) -> (point: Point, count: Int)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        let parts = trimmed.split(separator: ":", maxSplits: 1).map(String.init)
        guard let point = Point(rawValue: parts[0]) else {
            throw ParseError(
                description: "\(variable)=\(text): unknown crash point \"\(parts[0])\" (expected \(Point.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard parts.count == 2 else { return (point, 1) }
        guard let count = Int(parts[1]), count >= 1 else {
            throw ParseError(description: "\(variable)=\(text): the message count must be a whole number from 1")
        }
        return (point, count)
    }

    /// The trigger armed at start-up, if any. Set once by ``arm(environment:)`` before any message is handled.
    private static let armed = Mutex<Trigger?>(nil)
    /// Read on the hot path without a lock: written once at start-up, before the consumers start.
    nonisolated(unsafe) private static var trigger: Trigger?

    /// Reads `TIERFLOW_FAULT_CRASH` once; returns the armed trigger (nil when unset). Call at process start.
    @discardableResult
    public static func arm(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ParseError) -> Trigger? {
        guard let (point, count) = try parse(environment[variable] ?? "") else { return nil }
        let trigger = Trigger(point: point, count: count)
        armed.withLock { armed in
            if armed == nil {
                armed = trigger
                Self.trigger = trigger
            }
        }
        return armed.withLock { $0 }
    }

    /// Marks that a message reached `point`; SIGKILLs the process when it is the armed N-th one.
    @inline(__always)
    public static func reach(_ point: Point) {
        guard let trigger, trigger.point == point else { return }
        fire(trigger)
    }

    @inline(never)
    private static func fire(_ trigger: Trigger) {
        let reached = trigger.reached.add(1, ordering: .relaxed).newValue
        guard reached == trigger.count else { return }
        let line = "fault injection: SIGKILL at \(trigger.point) (message \(reached))\n"
        FileHandle.standardError.write(Data(line.utf8))
        kill(getpid(), SIGKILL)
    }
}
