import Logging
import Synchronization

/// The per-hop durable writer: ``write(_:)`` returns once the unit's rows are COMMITTED.
///
/// Group commit: callers queue units; a writer thread drains everything queued so far (up to `maxBatchSize`
/// units) into ONE transaction with one multi-row `INSERT` per table (see ``HopBatch``), then resumes
/// all those callers together. The units of one call (``write(_:)-([HopWrite])``, e.g. a final hop and the
/// result it produces) always share a transaction: a reader never sees one without the other. Replaying a
/// unit inserts nothing and reports `.duplicate`. Units that arrive while a transaction waits for its
/// commit (fsync) wait for it and go into the next one, so batches grow with the load; only when
/// `spillThreshold` units are waiting does another connection start a transaction beside it.
///
/// If the database is unavailable, writes wait and are retried with capped, jittered backoff (never failed
/// fast, never dropped) and ``isHealthy`` is false. A caller may cancel its task: the write then throws
/// `CancellationError`; if the unit was already being committed it may still land (replay is idempotent).
/// A unit the server rejects for itself (e.g. invalid JSON) fails alone: its batch is retried unit by unit.
/// Errors that no retry can fix (authentication, missing privileges) fail the writes instead of waiting.
///
/// NUL is sanitised on the way out: text fields become U+FFFD where they held U+0000, JSON fields also have
/// `\u0000` escapes replaced (see ``PostgresValue/sanitised(_:)`` and ``PostgresValue/sanitisedJSON(_:)``).
/// Binary `dead_letters.body` is stored as is.
public final class HopLogWriter: Sendable {
    /// Counters since the writer started.
    public struct Statistics: Sendable, Hashable {
        /// Units whose transaction committed.
        public var committedUnits = 0
        /// Transactions committed.
        public var committedBatches = 0
        /// The most units committed in one transaction.
        public var largestBatch = 0
        /// Attempts that failed with a retryable error and were retried.
        public var retries = 0
        /// Transactions sent a second time skipping stored keys, because a key was already stored (replays).
        public var conflictRetries = 0
    }

    typealias Waiter = CheckedContinuation<[HopWriteOutcome], any Error>
    /// One call's units, committed together.
    typealias Pending = (id: UInt64, units: [HopWrite])
    typealias Lookup = (key: HopRecord.Key, continuation: CheckedContinuation<StoredHop?, any Error>)

    private struct State {
        var queue: [Pending] = []
        /// Units in `queue`.
        var queuedUnits = 0
        var waiting: [UInt64: Waiter] = [:]
        var lookups: [Lookup] = []
        var nextID: UInt64 = 0
        /// Writer threads not draining now (indices into `threads`).
        var idle: [Int] = []
        var isClosing = false
        var statistics = Statistics()
    }

    private let state = Mutex(State())
    private let health = HealthFlag()
    private let threads: [PostgresThread]
    private let logger: Logger
    private let maxBatchSize: Int
    private let spillThreshold: Int
    private let backoff: PostgresConfiguration.Backoff
    let style: BatchInsert.Style

    /// Starts the writer's thread and connects in the background (see ``isHealthy``).
    ///
    /// - Parameters:
    ///   - maxBatchSize: The most units in one transaction (a single call's units are never split).
    ///   - connections: Connections, each on its own thread.
    ///   - spillThreshold: Units waiting before a second connection starts a transaction while one commits;
    ///     half of `maxBatchSize` by default.
    public convenience init(
        configuration: PostgresConfiguration, logger: Logger, maxBatchSize: Int = 500, connections: Int = 2, spillThreshold: Int? = nil
    ) {
        self.init(
            configuration: configuration, logger: logger, maxBatchSize: maxBatchSize, style: .unnest, connections: connections,
            spillThreshold: spillThreshold)
    }

    init(
        configuration: PostgresConfiguration, logger: Logger, maxBatchSize: Int, style: BatchInsert.Style, connections: Int = 2,
        spillThreshold: Int? = nil
    ) {
        let health = self.health
        self.threads = (0..<max(1, connections)).map { index in
            PostgresThread(
                name: "pg-hoplog-\(index)", configuration: configuration, logger: logger,
                onConnectionChange: { connected in health.set(connected) })
        }
        self.logger = logger
        self.maxBatchSize = max(1, maxBatchSize)
        self.spillThreshold = max(1, spillThreshold ?? maxBatchSize / 2)
        self.backoff = configuration.reconnectBackoff
        self.style = style
        state.withLock { $0.idle = Array(threads.indices) }
        for thread in threads { thread.submit { session in try? session.ensureConnected(force: true) } }
    }

    deinit { threads.forEach { $0.closeSoon() } }

    /// Whether the last attempt to reach the database succeeded.
    public var isHealthy: Bool { health.value }

    /// Counters since the writer started.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Commits `unit` (in a group with whatever else is queued) and reports what was inserted.
    public func write(_ unit: HopWrite) async throws -> HopWriteOutcome {
        try await write([unit])[0]
    }

    /// Commits `units` in one transaction (with whatever else is queued) and reports, per unit, what was inserted.
    public func write(_ units: [HopWrite]) async throws -> [HopWriteOutcome] {
        guard !units.isEmpty else { return [] }
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                enqueue(id: id, units: units, continuation: continuation)
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiting.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// The stored hop with this key, or nil. Fails fast (retryable error) while the database is unavailable.
    public func existingHop(
        queryId: String, stage: String, tier: String = "", attempt: Int = 0
    ) async throws -> StoredHop? {
        let key = HopRecord.Key(queryId: queryId, stage: stage, tier: tier, attempt: attempt)
        return try await withCheckedThrowingContinuation { continuation in
            let (accepted, drainer) = state.withLock { state -> (Bool, Int?) in
                guard !state.isClosing else { return (false, nil) }
                state.lookups.append((key, continuation))
                return (true, state.idle.popLast())
            }
            if !accepted { continuation.resume(throwing: Self.closedError) }
            if let drainer { startDrain(on: drainer) }
        }
    }

    /// Commits what is queued (if the database is reachable), fails what cannot be written with
    /// `connectionClosed`, then closes the connection.
    public func close() async {
        state.withLock { $0.isClosing = true }
        for thread in threads {
            thread.wake.signal()
            await thread.close()
        }
        let (waiters, lookups) = state.withLock { state in
            defer { state.waiting.removeAll(); state.queue.removeAll(); state.queuedUnits = 0; state.lookups.removeAll() }
            return (Array(state.waiting.values), state.lookups)
        }
        waiters.forEach { $0.resume(throwing: Self.closedError) }
        lookups.forEach { $0.continuation.resume(throwing: Self.closedError) }
    }

    private static let closedError = PostgresError(code: .connectionClosed, message: "hop log writer is closed")

    private func enqueue(id: UInt64, units: [HopWrite], continuation: Waiter) {
        enum Action { case none, schedule(Int), cancelled, closed }
        let action = state.withLock { state -> Action in
            if Task.isCancelled { return .cancelled }
            if state.isClosing { return .closed }
            state.waiting[id] = continuation
            state.queue.append((id, units))
            state.queuedUnits += units.count
            // A drainer already running picks this up after its commit; an idle one starts at once when none
            // is running, or when enough is waiting to be worth a transaction of its own.
            guard !state.idle.isEmpty, state.idle.count == threads.count || state.queuedUnits >= spillThreshold else {
                return .none
            }
            return .schedule(state.idle.removeLast())
        }
        switch action {
        case .none: break
        case .schedule(let drainer): startDrain(on: drainer)
        case .cancelled: continuation.resume(throwing: CancellationError())
        case .closed: continuation.resume(throwing: Self.closedError)
        }
    }

    private func startDrain(on index: Int) {
        threads[index].submit { [self] session in drain(session, thread: index) }
    }

    // MARK: On a writer thread

    /// Runs on writer thread `thread` until nothing is queued.
    private func drain(_ session: PostgresSession, thread: Int) {
        while true {
            let work = state.withLock { state -> (batch: [Pending], lookups: [Lookup])? in
                let lookups = state.lookups
                state.lookups.removeAll()
                var batch: [Pending] = []
                var units = 0
                var taken = 0
                // Whole calls only; the first one even if it alone is larger than `maxBatchSize`.
                for entry in state.queue {
                    guard units == 0 || units + entry.units.count <= maxBatchSize else { break }
                    taken += 1
                    state.queuedUnits -= entry.units.count
                    if state.waiting[entry.id] != nil {
                        batch.append(entry)
                        units += entry.units.count
                    }
                }
                state.queue.removeFirst(taken)
                if batch.isEmpty && lookups.isEmpty {
                    state.idle.append(thread)
                    return nil
                }
                return (batch, lookups)
            }
            guard let work else { return }
            serve(work.lookups, session)
            if !work.batch.isEmpty {
                // While this transaction waits for its commit, an idle connection takes a large enough backlog.
                let helper = state.withLock { state in state.queuedUnits >= spillThreshold ? state.idle.popLast() : nil }
                if let helper { startDrain(on: helper) }
                commit(work.batch, session, thread: thread)
            }
        }
    }

    /// Commits `batch`, retrying retryable failures until it lands, every waiter has cancelled, or the writer
    /// closes. A non-retryable failure of a multi-unit batch is retried unit by unit to isolate the bad unit.
    private func commit(_ initial: [Pending], _ session: PostgresSession, thread: Int) {
        var batch = initial
        var attempt = 0
        while true {
            batch = state.withLock { state in batch.filter { state.waiting[$0.id] != nil } }
            guard !batch.isEmpty else { return }
            do {
                let committed = try HopBatch(units: batch.flatMap(\.units)).commit(on: session, style: style)
                let outcomes = committed.outcomes
                health.set(true)
                let waiters = state.withLock { state in
                    state.statistics.committedBatches += 1
                    if committed.retriedSkippingConflicts { state.statistics.conflictRetries += 1 }
                    let units = batch.reduce(0) { $0 + $1.units.count }
                    state.statistics.committedUnits += units
                    state.statistics.largestBatch = max(state.statistics.largestBatch, units)
                    return batch.map { state.waiting.removeValue(forKey: $0.id) }
                }
                if attempt > 0 {
                    logger.info("hop log writes recovered", metadata: ["db.batch_size": "\(batch.count)"])
                }
                var next = 0
                for (waiter, entry) in zip(waiters, batch) {
                    waiter?.resume(returning: Array(outcomes[next..<next + entry.units.count]))
                    next += entry.units.count
                }
                return
            } catch let error as PostgresError where error.isRetryable {
                health.set(false)
                let isClosing = state.withLock { state in
                    state.statistics.retries += 1
                    return state.isClosing
                }
                if isClosing {
                    let message = "hop log writer closed while the database was unavailable: \(error.message)"
                    fail(batch, with: PostgresError(code: .connectionClosed, message: message, sqlState: error.sqlState))
                    return
                }
                let delay = max(session.reconnectDelay, backoff.delay(attempt: attempt))
                if attempt == 0 || attempt % 20 == 0 {
                    logger.warning("hop log write failed; retrying", metadata: [
                        "db.error": "\(error)", "db.batch_size": "\(batch.count)", "db.attempt": "\(attempt)",
                    ])
                }
                attempt += 1
                waitForRetry(delay, session, thread: thread)
            } catch {
                guard batch.count > 1 else {
                    logger.error("hop log write rejected", metadata: [
                        "db.error": "\(error)", "query.id": "\(batch[0].units[0].hop.queryId)",
                    ])
                    fail(batch, with: error)
                    return
                }
                for entry in batch { commit([entry], session, thread: thread) }
                return
            }
        }
    }

    /// Sleeps `delay` on the writer thread, waking early when closing; answers lookups meanwhile.
    private func waitForRetry(_ delay: Duration, _ session: PostgresSession, thread: Int) {
        let deadline = ContinuousClock.now + delay
        while ContinuousClock.now < deadline {
            threads[thread].wake.wait(timeout: deadline - ContinuousClock.now)
            let (lookups, isClosing) = state.withLock { state in
                defer { state.lookups.removeAll() }
                return (state.lookups, state.isClosing)
            }
            serve(lookups, session)
            if isClosing { return }
        }
    }

    private func fail(_ batch: [Pending], with error: any Error) {
        let waiters = state.withLock { state in batch.compactMap { state.waiting.removeValue(forKey: $0.id) } }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private func serve(_ lookups: [Lookup], _ session: PostgresSession) {
        for lookup in lookups {
            lookup.continuation.resume(with: Result { try Self.fetch(lookup.key, session) })
        }
    }

    private static func fetch(_ key: HopRecord.Key, _ session: PostgresSession) throws -> StoredHop? {
        let rows = try session.execute(
            """
            SELECT query_id, stage, tier, attempt, worker, started_at, finished_at, decision, score, model,
                   tokens_in, tokens_out, cost_usd, error, detail, output
            FROM hops WHERE query_id = $1 AND stage = $2 AND tier = $3 AND attempt = $4
            """,
            [.string(key.queryId), .string(key.stage), .string(key.tier), .int(key.attempt)])
        guard let row = rows.first else { return nil }
        return StoredHop(record: HopRecord(
            queryId: try row.string("query_id") ?? "", stage: try row.string("stage") ?? "",
            tier: try row.string("tier") ?? "", attempt: try row.int("attempt") ?? 0,
            worker: try row.string("worker") ?? "", startedAt: try row.date("started_at") ?? .distantPast,
            finishedAt: try row.date("finished_at") ?? .distantPast, decision: try row.string("decision") ?? "",
            score: try row.double("score"), model: try row.string("model"), tokensIn: try row.int("tokens_in"),
            tokensOut: try row.int("tokens_out"), costUSD: try row.double("cost_usd") ?? 0,
            error: try row.string("error"), detail: try row.string("detail"), output: try row.string("output")))
    }
}
