import Foundation
import Logging
import Synchronization
import TierflowAMQP
import TierflowCore
import TierflowPipeline

/// Steady load: fault events published to a pipeline's ingest exchange at a fixed rate, every confirmed
/// one recorded in a ``QueryLedger`` under the query id the pipeline will give it.
///
/// Publishes run concurrently, so a stalled broker (restart, memory alarm) delays confirms without lowering
/// the offered rate; the publisher republishes what a lost connection left unconfirmed. A share of events
/// is published a second time (`repeatShare`): the same event must still be answered once.
public final class LoadGenerator: Sendable {
    public struct Statistics: Sendable, Hashable {
        public var published = 0
        public var confirmed = 0
        public var repeats = 0
        /// Publishes that failed or were not confirmed (not in the ledger).
        public var failed = 0
        /// Whether the broker blocked this publisher at some point (memory alarm).
        public var sawBlocked = false
    }

    private let config: PipelineConfig
    private let publisher: AMQPPublisher
    private let ledger: QueryLedger
    private let site: String
    private let decoder: IngestDecoder
    private let codec = EnvelopeCodec()
    private let stats = Mutex(Statistics())
    /// Query ids of every publish sent, confirmed or not yet.
    private let sent = Mutex<(order: [String], seen: Set<String>)>(([], []))
    private let logger: Logger

    public init(config: PipelineConfig, publisher: AMQPPublisher, ledger: QueryLedger, site: String, logger: Logger) {
        self.config = config
        self.publisher = publisher
        self.ledger = ledger
        self.site = site
        decoder = IngestDecoder(config: config)
        self.logger = logger
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    /// The query ids of every event sent so far, confirmed or still waiting for the broker.
    public var sentQueryIds: [String] { sent.withLock { $0.order } }

    /// A fault event of this load, varied over a few assets, codes and messages.
    public func event(_ index: Int) -> FaultEvent {
        let messages = [
            "PUMP DISCH PRESS LOW ALM", "BEARING TEMP HIGH", "MOTOR CURRENT HIGH HIGH", "FLOW DEVIATION",
            "VIBRATION HIGH ON DRIVE END", "SEAL LEAK DETECTED",
        ]
        let classes = ["pump", "compressor", "chiller", "fan"]
        return FaultEvent(
            eventId: "\(site)-\(index)-\(UUID().uuidString.prefix(8))", site: site, asset: "A-\(index % 17)",
            assetClass: classes[index % classes.count], tag: "PIR\(100 + index % 23)", alarmType: index % 2 == 0 ? "L" : "H",
            faultCode: index % 5 == 0 ? nil : "F\(100 + index % 31)", severity: index % 11 == 0 ? .high : .low,
            message: messages[index % messages.count], values: ["value": Double(index % 100)])
    }

    /// Publishes `rate` events a second for `duration`; returns once every publish has its confirm (or
    /// `confirmTimeout` after the last one was sent).
    public func run(rate: Double, duration: Duration, repeatShare: Double = 0.05, confirmTimeout: Duration = .seconds(120)) async {
        let total = max(1, Int((rate * duration.seconds).rounded()))
        let interval = Duration.seconds(1 / rate)
        let start = ContinuousClock.now
        let watcher = Task { await self.watchBlocked(until: start + duration + confirmTimeout) }
        await withTaskGroup(of: Void.self) { group in
            var repeated: [FaultEvent] = []
            for index in 0..<total {
                try? await Task.sleep(until: start + interval * index)
                let event = event(index)
                group.addTask { await self.publish(event, repeat: false, timeout: confirmTimeout) }
                if Double(index % 100) < repeatShare * 100 { repeated.append(event) }
                // Some repeats soon after the original (as a publisher retrying), the rest at the end.
                if index % 10 == 9, let again = repeated.popLast() {
                    group.addTask { await self.publish(again, repeat: true, timeout: confirmTimeout) }
                }
            }
            for again in repeated {
                group.addTask { await self.publish(again, repeat: true, timeout: confirmTimeout) }
            }
        }
        watcher.cancel()
    }

    /// Publishes one event and records it when the broker confirms.
    public func publish(_ event: FaultEvent, repeat isRepeat: Bool = false, timeout: Duration = .seconds(120)) async {
        let body = codec.encode(event)
        let messageId = "event-\(event.eventId)" + (isRepeat ? "-again" : "")
        stats.withLock {
            $0.published += 1
            if isRepeat { $0.repeats += 1 }
        }
        guard let queryId = try? decoder.decode(body, metadata: .init(messageId: messageId, type: "fault_event"), now: Date()).envelope.id else {
            stats.withLock { $0.failed += 1 }
            return
        }
        sent.withLock { if $0.seen.insert(queryId).inserted { $0.order.append(queryId) } }
        let properties = AMQPMessageProperties(contentType: "application/json", messageID: messageId, timestamp: Date(), type: "fault_event")
        let confirmed = await withTimeout(timeout) {
            (try? await self.publisher.publish(
                exchange: self.config.ingest.exchange, routingKey: "scada.\(self.site)", body: body, properties: properties)) == .confirmed
        }
        if confirmed == true {
            ledger.submitted(queryId: queryId, messageId: messageId)
            stats.withLock { $0.confirmed += 1 }
        } else {
            logger.warning("load: a publish was not confirmed", metadata: ["event": "\(event.eventId)"])
            stats.withLock { $0.failed += 1 }
        }
    }

    /// Publishes a raw message that must end as a dead letter, and expects it in the ledger.
    public func publishPoison(
        _ body: [UInt8], messageId: String, exchange: String? = nil, routingKey: String = "scada.poison", type: String? = "fault_event"
    ) async throws {
        let properties = AMQPMessageProperties(contentType: "application/json", messageID: messageId, timestamp: Date(), type: type)
        let outcome = try await publisher.publish(
            exchange: exchange ?? config.ingest.exchange, routingKey: routingKey, body: body, properties: properties)
        guard outcome == .confirmed else {
            throw FaultSuiteError("poison message \(messageId) was not confirmed: \(outcome)")
        }
        ledger.expectDeadLetter(messageId: messageId)
    }

    private func watchBlocked(until deadline: ContinuousClock.Instant) async {
        while !Task.isCancelled && ContinuousClock.now < deadline {
            if publisher.isBlocked { stats.withLock { $0.sawBlocked = true } }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Runs `operation`, or gives up (returning nil) after `limit`. The operation runs on in the background
/// when it is given up on (a publish cannot be taken back).
func withTimeout<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
    let once = ResumeOnce<T?>()
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        once.set(continuation)
        Task {
            let value = await operation()
            once.resume(value)
        }
        Task {
            try? await Task.sleep(for: limit)
            once.resume(nil)
        }
    }
}

/// A continuation resumed by whichever of several tasks comes first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<T, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(_ value: T) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}

/// A failure of the suite itself (not of the pipeline under test).
public struct FaultSuiteError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
