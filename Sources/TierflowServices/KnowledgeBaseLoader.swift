import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TierflowPipeline
import TierflowPostgres

/// Keeps a ``KnowledgeBase`` equal to `kb_entries`: a full load at start, then every change announced on
/// ``KnowledgeBaseStore/channel`` (LISTEN/NOTIFY) applied incrementally, and a full reload every
/// `interval` and after the listener reconnects (notifications sent meanwhile are lost) as a safety net.
///
/// It starts listening before the first load, so no change falls between the two. Large loads are built on
/// a thread of their own, never on Swift's cooperative pool.
public final class KnowledgeBaseLoader: Service, Sendable {
    private let knowledge: KnowledgeBase
    private let configuration: PostgresConfiguration
    private let interval: Duration
    private let logger: Logger
    private let work = PendingKnowledgeChanges()

    /// Changed keys fetched at once; more pending than this → a full reload instead.
    static let maxIncremental = 5000

    public init(knowledge: KnowledgeBase, configuration: PostgresConfiguration, interval: Duration = .seconds(300), logger: Logger) {
        self.knowledge = knowledge
        self.configuration = configuration
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let listener = PostgresListener(configuration: configuration, logger: logger)
        let notifications = listener.notifications(channel: KnowledgeBaseStore.channel)
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await self.follow(listener, notifications)
            } onCancel: {
                Task { await listener.close() }  // also releases a wait for the first LISTEN
            }
        }
        work.finish()
        await listener.close()
    }

    private func follow(_ listener: PostgresListener, _ notifications: AsyncStream<PostgresNotification>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await notification in notifications {
                    if notification.kind == .resubscribed { self.work.requestFullReload() } else { self.work.add(notification.payload) }
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: self.interval)) != nil { self.work.requestFullReload() }
            }
            group.addTask {
                await listener.waitUntilListening(channel: KnowledgeBaseStore.channel)
                self.work.requestFullReload()
                await self.applyChanges()
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func applyChanges() async {
        var connection: PostgresConnection?
        for await _ in work.signals {
            try? await Task.sleep(for: .milliseconds(10))  // let a burst of notifications gather
            let (keys, full) = work.take()
            do {
                if connection == nil {
                    connection = try await PostgresConnection.connect(configuration: configuration, logger: logger)
                }
                let store = KnowledgeBaseStore(connection: connection!)
                if full || keys.count > Self.maxIncremental {
                    let entries = try await store.loadValid()
                    let analyzer = knowledge.analyzer
                    let matcher = try await OffThreadWork.run { Layer0Matcher(entries: entries, analyzer: analyzer) }
                    let before = knowledge.count
                    knowledge.replace(with: matcher)
                    if before != matcher.count { logger.info("knowledge base loaded", metadata: ["kb.entries": "\(matcher.count)"]) }
                } else if !keys.isEmpty {
                    try await apply(keys: keys, store: store)
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("knowledge base update failed; keeping the loaded entries", metadata: ["error": "\(error)"])
                work.restore(keys, full: full)
                try? await Task.sleep(for: .seconds(1))
                work.signal()
            }
        }
        if let connection { await connection.close() }
    }

    private func apply(keys: Set<String>, store: KnowledgeBaseStore) async throws {
        let now = Date()
        let found = try await store.entries(keys: Array(keys)).filter { $0.isValid(at: now) }
        let present = Set(found.map(\.key))
        let removals = keys.subtracting(present)
        let analyzer = knowledge.analyzer
        let prepared = found.count > 200
            ? try await OffThreadWork.run { found.map { Layer0Matcher.prepare($0, analyzer: analyzer) } }
            : found.map { Layer0Matcher.prepare($0, analyzer: analyzer) }
        knowledge.apply(prepared: prepared, removals: Array(removals))
        logger.debug("knowledge base updated", metadata: ["kb.upserted": "\(found.count)", "kb.removed": "\(removals.count)"])
    }

    /// Every entry that is still valid (for callers that load once).
    public static func load(from connection: PostgresConnection) async throws -> [KnowledgeEntry] {
        try await KnowledgeBaseStore(connection: connection).loadValid()
    }
}

/// Keys waiting to be applied, a full-reload request, and a wake-up signal.
private final class PendingKnowledgeChanges: Sendable {
    private struct State {
        var keys = Set<String>()
        var full = false
    }

    private let state = Mutex(State())
    let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func add(_ key: String) {
        state.withLock { _ = $0.keys.insert(key) }
        continuation.yield()
    }

    func requestFullReload() {
        state.withLock { $0.full = true; $0.keys.removeAll() }
        continuation.yield()
    }

    func signal() { continuation.yield() }

    func take() -> (Set<String>, Bool) {
        state.withLock { state in
            defer { state = State() }
            return (state.keys, state.full)
        }
    }

    func restore(_ keys: Set<String>, full: Bool) {
        state.withLock { state in
            state.keys.formUnion(keys)
            state.full = state.full || full
        }
    }

    func finish() { continuation.finish() }
}
