import Foundation
import Synchronization
import TierflowCore
import TierflowPipeline

/// Layer 0's in-memory index, shared by the stage and the loader that keeps it current.
///
/// Lookups analyse the query before taking the lock and hold it for the index lookup only (microseconds);
/// updates analyse their entries first, then take the lock to swap them in.
public final class KnowledgeBase: Sendable {
    private let matcher: Mutex<Layer0Matcher>
    private let loaded: Mutex<Bool>
    public let analyzer: Layer0Analyzer

    /// `awaitingLoad`: lookups wait (``waitUntilLoaded(timeout:)``) until the first full load is in, so a
    /// Layer 0 process that just started does not send to the router what its knowledge base answers.
    public init(entries: [KnowledgeEntry] = [], analyzer: Layer0Analyzer = Layer0Analyzer(), awaitingLoad: Bool = false) {
        self.analyzer = analyzer
        matcher = Mutex(Layer0Matcher(entries: entries, analyzer: analyzer))
        loaded = Mutex(!awaitingLoad)
    }

    /// Returns once the first full load is in, or after `timeout` (then lookups go on with what is loaded).
    public func waitUntilLoaded(timeout: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + timeout
        while !loaded.withLock({ $0 }) && ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: .milliseconds(10))) != nil else { return }
        }
    }

    /// The entry that answers `payload` at `now`, or nil.
    public func match(_ payload: QueryPayload, settings: Layer0Matcher.Settings = .init(), now: Date) -> Layer0Match? {
        guard let probe = analyzer.probe(payload) else { return nil }
        return matcher.withLock { $0.match(probe, settings: settings, now: now) }
    }

    /// Replaces every entry (the index is built before the lock is taken).
    public func replaceAll(_ entries: [KnowledgeEntry]) {
        let fresh = Layer0Matcher(entries: entries, analyzer: analyzer)
        matcher.withLock { $0 = fresh }
        loaded.withLock { $0 = true }
    }

    /// Replaces the whole index with one built elsewhere (with this knowledge base's analyzer).
    public func replace(with fresh: Layer0Matcher) {
        matcher.withLock { $0 = fresh }
        loaded.withLock { $0 = true }
    }

    /// Adds or replaces `upserts` and removes the entries keyed `removals`.
    public func apply(upserts: [KnowledgeEntry], removals: [String]) {
        apply(prepared: upserts.map { Layer0Matcher.prepare($0, analyzer: analyzer) }, removals: removals)
    }

    /// Adds or replaces prepared entries and removes the entries keyed `removals`, under one lock.
    public func apply(prepared: [Layer0Matcher.Prepared], removals: [String]) {
        matcher.withLock { matcher in
            for key in removals { matcher.remove(key: key) }
            for item in prepared { matcher.insert(item) }
        }
    }

    /// The entry with `key`.
    public func entry(forKey key: String) -> KnowledgeEntry? {
        matcher.withLock { $0.entry(forKey: key) }
    }

    /// Number of entries.
    public var count: Int { matcher.withLock { $0.count } }
}
