import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TierflowPipeline
import TierflowPostgres

/// Writes the answers the evaluator accepted into Layer 0's cache (`kb_entries`, kind `cache`), in the
/// background and in batches, with its own connection.
///
/// ``offer(_:)`` never blocks and never fails: a full buffer drops its oldest entry, a failed write is
/// retried once and then dropped with a warning. Caching is an optimisation; a result never waits for it
/// and is never lost because of it. Writes are idempotent (upsert by key), so a replayed hop is harmless.
public final class Layer0CacheWriter: Service, Sendable {
    private struct State {
        var buffer: [KnowledgeEntry] = []
        var dropped = 0
        var written = 0
    }

    private let state = Mutex(State())
    private let connection = Mutex<PostgresConnection?>(nil)
    private let configuration: PostgresConfiguration
    private let capacity: Int
    private let logger: Logger
    private let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init(configuration: PostgresConfiguration, capacity: Int = 10_000, logger: Logger) {
        self.configuration = configuration
        self.capacity = capacity
        self.logger = logger
        (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `entry` for writing.
    public func offer(_ entry: KnowledgeEntry) {
        state.withLock { state in
            if state.buffer.count >= capacity {
                state.buffer.removeFirst()
                state.dropped += 1
            }
            state.buffer.append(entry)
        }
        continuation.yield()
    }

    /// Entries written so far.
    public var written: Int { state.withLock { $0.written } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.signals { await self.flush() }
        }
        await Task { await self.flush() }.value  // what was offered before the shutdown (not cancelled)
        if let open = connection.withLock({ $0 }) { await open.close() }
    }

    private func flush() async {
        let batch = state.withLock { state in
            defer { state.buffer.removeAll() }
            return state.buffer
        }
        guard !batch.isEmpty else { return }
        for attempt in 1...2 {
            do {
                try await KnowledgeBaseStore(connection: try await openConnection()).upsertCache(batch)
                state.withLock { $0.written += batch.count }
                return
            } catch {
                if attempt == 2 {
                    logger.warning("cache write-back failed; answers not cached", metadata: ["error": "\(error)", "kb.entries": "\(batch.count)"])
                }
            }
        }
    }

    private func openConnection() async throws -> PostgresConnection {
        if let open = connection.withLock({ $0 }) { return open }
        let fresh = try await PostgresConnection.connect(configuration: configuration, logger: logger)
        connection.withLock { $0 = fresh }
        return fresh
    }
}
