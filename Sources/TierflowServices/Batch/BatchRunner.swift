import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TierflowAMQP
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// Runs one batch: streams its file from the last committed point, publishes each chunk's new queries to
/// the batch lane and waits for the broker's confirms, then commits the chunk's lines, queries and resume
/// point in one statement. Re-publishing after a crash is safe: ids are deterministic and Layer 0 drops a
/// query whose hop is already logged, so every line ends with exactly one diagnosis.
///
/// At most `maxInFlight` queries are published and unanswered at once (so a million lines never sit in
/// the broker), the rate cap paces publishing, the budget cap stops publishing before the spend would
/// pass it, and `paused` / `cancelled` set by `tierflow batch pause|cancel` are obeyed within a poll.
/// On SIGINT/SIGTERM it stops after the current chunk; running it again continues.
public final class BatchRunner: Service, Sendable {
    /// How a run ended.
    public enum Outcome: String, Sendable, Hashable {
        /// Every line is answered or skipped.
        case done
        /// The budget cap stopped it; raise the cap and resume.
        case budget
        case cancelled
        /// Ctrl-C or SIGTERM; running it again continues.
        case interrupted
    }

    public struct Options: Sendable {
        public var start: BatchStore.Start
        public var format: BatchSource.Format
        /// Lines read and committed per statement.
        public var chunkSize: Int = 500
        public var pollInterval: Duration = .milliseconds(250)
        /// Spend cap per query (the envelope's `max_cost_usd`); nil: `evaluator.max_cost_per_query_usd`.
        public var maxCostPerQueryUSD: Double?
        /// Wait this long for in-flight queries after the budget cap stopped publishing.
        public var drainTimeout: Duration = .seconds(120)

        public init(start: BatchStore.Start, format: BatchSource.Format) {
            self.start = start
            self.format = format
        }
    }

    private let config: PipelineConfig
    private let options: Options
    private let publisher: AMQPPublisher
    private let store: BatchStore
    private let logger: Logger
    private let onProgress: @Sendable (BatchProgress) -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let result = Mutex<Outcome?>(nil)

    public init(
        config: PipelineConfig, options: Options, publisher: AMQPPublisher, store: BatchStore, logger: Logger,
        onProgress: @escaping @Sendable (BatchProgress) -> Void = { _ in }
    ) {
        self.config = config
        self.options = options
        self.publisher = publisher
        self.store = store
        var logger = logger
        logger[metadataKey: "batch.id"] = "\(options.start.id)"
        self.logger = logger
        self.onProgress = onProgress
    }

    /// How the last run ended (nil before it ended).
    public var outcome: Outcome? { result.withLock { $0 } }

    /// Asks the run to stop after the current chunk (as SIGINT does).
    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    public func run() async throws {
        let outcome = try await withGracefulShutdownHandler {
            try await self.runBatch()
        } onGracefulShutdown: {
            self.requestStop()
        }
        result.withLock { $0 = outcome }
    }

    /// Runs the batch until it is done, stopped by a cap, cancelled or interrupted. Throws
    /// ``BatchError/Code/alreadyRunning`` when another process is running it, ``BatchError/Code/wrongState``
    /// when it was cancelled.
    public func runBatch() async throws -> Outcome {
        let id = options.start.id
        guard try await store.lock(id) else {
            let runner = try await store.load(id)?.runner ?? "?"
            throw BatchError(code: .alreadyRunning, message: "batch \(id) is being run by another process (\(runner))")
        }
        do {
            let outcome = try await runLocked(id)
            try? await store.unlock(id)
            return outcome
        } catch {
            try? await store.unlock(id)
            throw error
        }
    }

    private func runLocked(_ id: String) async throws -> Outcome {
        var status = try await store.start(options.start)
        switch status.state {
        case .cancelled:
            throw BatchError(code: .wrongState, message: "batch \(id) was cancelled; start a new one with another --id")
        case .done:
            return .done
        case .budget:
            // Running it again (with a higher cap) continues.
            status = try await store.setState(id, to: .running, from: [.budget]) ?? status
        default:
            break
        }
        let file = BatchFileWorker()
        if status.totalLines == nil {
            var total = try await file.countLines(path: options.start.file)
            if options.format == .csv { total = max(0, total - 1) }
            try await store.setTotalLines(id, total)
            status.totalLines = total
        }
        try await file.open(
            path: options.start.file, format: options.format, mapping: options.start.mapping, offset: status.nextOffset,
            line: status.nextLine)
        let topology = PipelineTopology(config: config)
        let codec = EnvelopeCodec(maxMessageBytes: config.queues.maxMessageBytes)
        let clock = ContinuousClock()
        let started = clock.now
        var meter = RateMeter()
        var pacer = PublishPacer(perSecond: status.ratePerSecond)
        var endOfFile = false
        var stopping: Outcome?
        var drainDeadline: ContinuousClock.Instant?
        var lastPoll = clock.now - .seconds(3600)

        func report() {
            meter.add(status.doneLines + status.malformed, at: clock.now)
            onProgress(BatchProgress(
                status: status, linesPerSecond: meter.rate, tiers: config.tiers.map(\.name),
                elapsedSeconds: Self.seconds(clock.now - started)))
        }

        while true {
            if stopRequested.load(ordering: .relaxed) && stopping == nil {
                report()
                return .interrupted
            }
            let windowFull = status.inFlight >= status.maxInFlight
            if clock.now - lastPoll >= options.pollInterval || windowFull || endOfFile || stopping != nil {
                status = try await store.poll(id)
                lastPoll = clock.now
                report()
            }
            if status.state == .cancelled {
                logger.notice("batch cancelled")
                return .cancelled
            }
            if let stopping {
                if status.inFlight == 0 || clock.now >= drainDeadline! {
                    if stopping == .budget { status = try await store.setState(id, to: .budget, from: [.running, .paused]) ?? status }
                    report()
                    return stopping
                }
                try await Task.sleep(for: options.pollInterval)
                continue
            }
            if status.state == .paused {
                try await Task.sleep(for: options.pollInterval)
                continue
            }
            if endOfFile {
                if status.inFlight == 0 {
                    status = try await store.setState(id, to: .done, from: [.running, .paused]) ?? status
                    report()
                    return .done
                }
                try await Task.sleep(for: options.pollInterval)
                continue
            }
            var room = status.maxInFlight - status.inFlight
            if let budget = status.budgetUSD {
                let allowed = Self.budgetRoom(budget: budget, status: status)
                if allowed <= 0 && status.inFlight == 0 || status.costUSD >= budget {
                    logger.notice("budget cap reached", metadata: ["batch.cost_usd": "\(status.costUSD)", "batch.budget_usd": "\(budget)"])
                    stopping = .budget
                    drainDeadline = clock.now + options.drainTimeout
                    continue
                }
                room = min(room, allowed)
            }
            let windowRoom = room
            room = min(room, pacer.allowance(at: clock.now))
            if room <= 0 {
                // A full window waits for results (the next poll), a rate cap until its next slot. Never zero:
                // looping straight back would poll the database without pause and slow the live traffic.
                let wait = windowRoom <= 0 ? options.pollInterval : min(options.pollInterval, pacer.wait(at: clock.now))
                try await Task.sleep(for: max(.milliseconds(1), wait))
                continue
            }
            let chunk = try await file.read(lines: min(options.chunkSize, room)) { [logger] error in
                logger.warning("skipping line", metadata: ["batch.line": "\(error)"])
            }
            guard let last = chunk.last else {
                endOfFile = true
                continue
            }
            // Distinct queries of the chunk, then those this batch has not published before.
            var envelopes: [String: QueryEnvelope] = [:]
            var queryLines: [String: Int] = [:]
            var rows: [BatchStore.LineRow] = []
            for item in chunk {
                switch item.record {
                case .success(let record):
                    let queryId = BatchQueryIdentity.queryId(batchId: id, event: record.event)
                    queryLines[queryId, default: 0] += 1
                    if envelopes[queryId] == nil {
                        var event = record.event
                        event.eventId = queryId  // unique per batch query; the line's own id is kept in batch_lines
                        envelopes[queryId] = QueryEnvelope(
                            id: queryId, source: .batch, receivedAt: Date(), priority: .batch, payload: .faultEvent(event),
                            maxCostUSD: options.maxCostPerQueryUSD, batchId: id)
                    }
                    rows.append(.init(line: item.line, queryId: queryId, sourceId: record.sourceId, previous: record.previous, error: nil))
                case .failure(let error):
                    rows.append(.init(line: item.line, queryId: nil, sourceId: nil, previous: nil, error: error.message))
                }
            }
            let already = try await store.published(id, among: Array(envelopes.keys))
            let fresh = envelopes.filter { !already.contains($0.key) }
            try await publish(fresh.values.sorted { $0.id < $1.id }, topology: topology, codec: codec)
            pacer.spent(fresh.count, at: clock.now)
            status = try await store.commit(
                id, lines: rows, queryLines: queryLines, nextOffset: last.endOffset, nextLine: last.nextLine)
        }
    }

    private func publish(_ envelopes: [QueryEnvelope], topology: PipelineTopology, codec: EnvelopeCodec) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for envelope in envelopes {
                let body = codec.encode(envelope)
                group.addTask {
                    let properties = AMQPMessageProperties(
                        contentType: "application/json", messageID: envelope.id, timestamp: Date(), type: "envelope")
                    for _ in 0..<8 {
                        let outcome = try await self.publisher.publish(
                            exchange: topology.workExchange, routingKey: PipelineTopology.batchIngestKey, body: body,
                            properties: properties)
                        if outcome == .confirmed { return }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    throw BatchError(code: .publishRefused, message: "the broker refused query \(envelope.id) repeatedly")
                }
            }
        }
    }

    /// Queries the budget still allows to publish now. Two limits, both because the next query may cost more than
    /// any seen so far (the first answers of a batch are often its cheapest):
    /// - what was spent plus, for each query in flight or to publish, the cost of the dearest query answered so
    ///   far stays under the cap (the mean let a batch whose first answers came cheap spend twice its cap);
    /// - no more in flight than have been answered (at least one): the window doubles as answers come in, so at
    ///   most that many queries can turn out dearer than expected when the cap is reached.
    static func budgetRoom(budget: Double, status: BatchStatus) -> Int {
        let window = max(1, status.doneQueries) - status.inFlight
        let perQuery = status.maxQueryCostUSD
        guard perQuery > 0 else { return window }
        let left = budget - status.costUSD - Double(status.inFlight) * perQuery
        // The epsilon keeps binary fractions ($1 − $0.5 − 4 × $0.1 = 0.0999…) from losing a query that fits exactly.
        return min(window, Int((left / perQuery + 1e-9).rounded(.down)))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Lines finished per second over the last ten seconds.
struct RateMeter {
    private var samples: [(ContinuousClock.Instant, Int)] = []

    mutating func add(_ count: Int, at now: ContinuousClock.Instant) {
        samples.append((now, count))
        while let first = samples.first, now - first.0 > .seconds(10), samples.count > 2 { samples.removeFirst() }
    }

    var rate: Double {
        guard let first = samples.first, let last = samples.last, last.0 > first.0 else { return 0 }
        return Double(last.1 - first.1) / BatchRunner.seconds(last.0 - first.0)
    }
}

/// Paces publishing at a rate cap (queries per second) without drifting; unlimited without a cap.
struct PublishPacer {
    let rate: Double?
    private var origin: ContinuousClock.Instant?
    private var published = 0

    init(perSecond rate: Double?) {
        self.rate = rate.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Queries that may be published now.
    mutating func allowance(at now: ContinuousClock.Instant) -> Int {
        guard let rate else { return Int.max }
        if origin == nil { origin = now }
        let allowed = Int((BatchRunner.seconds(now - origin!) * rate).rounded(.down)) + 1 - published
        return max(0, min(allowed, Int(rate.rounded(.up))))
    }

    /// How long until one more query may be published.
    func wait(at now: ContinuousClock.Instant) -> Duration {
        guard let rate, let origin else { return .zero }
        let due = origin + .milliseconds(Int(Double(published) / rate * 1000))
        return max(.milliseconds(1), due - now)
    }

    mutating func spent(_ count: Int, at now: ContinuousClock.Instant) {
        if origin == nil { origin = now }
        published += count
    }
}
