import Foundation
import Synchronization
import TierflowPipeline
import TierflowCore

/// Layer 0's in-memory knowledge base, shared by the stage and the loader that keeps it current.
public final class KnowledgeBase: Sendable {
    private let matcher: Mutex<ExactMatcher>

    public init(entries: [KnowledgeEntry] = []) {
        matcher = Mutex(ExactMatcher(entries: entries))
    }

    /// The entry that answers `payload`, or nil.
    public func match(_ payload: TierflowCore.QueryPayload, now: Date) -> KnowledgeEntry? {
        matcher.withLock { $0.match(payload, now: now) }
    }

    /// Replaces every entry.
    public func replaceAll(_ entries: [KnowledgeEntry]) {
        let fresh = ExactMatcher(entries: entries)
        matcher.withLock { $0 = fresh }
    }

    /// Number of entries.
    public var count: Int { matcher.withLock { $0.count } }
}
