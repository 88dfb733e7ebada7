import Synchronization
import TierflowCore
import TierflowPipeline

/// A ``TierScorer`` whose underlying scorer can be replaced while queries are being scored.
///
/// Each call takes the current scorer under a lock and scores outside it, so a swap never blocks or
/// drops a query: calls that started before the swap finish with the old model, later ones use the new.
public final class SwappableScorer: TierScorer {
    private struct Slot: Sendable {
        var scorer: any TierScorer
        var version: Int?
    }

    private let slot: Mutex<Slot>

    public init(_ initial: any TierScorer, version: Int? = nil) {
        slot = Mutex(Slot(scorer: initial, version: version))
    }

    /// The scorer in use.
    public var scorer: any TierScorer { slot.withLock { $0.scorer } }

    /// The stored version in use (nil: a model file or a non-learned scorer).
    public var version: Int? { slot.withLock { $0.version } }

    public var name: String { scorer.name }

    /// Replaces the scorer; `version` records which stored version it is.
    public func swap(to scorer: any TierScorer, version: Int?) {
        slot.withLock { $0 = Slot(scorer: scorer, version: version) }
    }

    public func estimates(for envelope: QueryEnvelope, tiers: [TierConfig]) -> [Double] {
        scorer.estimates(for: envelope, tiers: tiers)
    }
}
