import Foundation
import TierflowCore

/// Layer 0's matcher: precise first, then similar.
///
/// A fault event first tries the exact path: a curated entry with its fault code (and its asset class and
/// tag, when the entry names them). Otherwise — and for chat questions — an entry answers only when every
/// guard agrees with the query (``Layer0Guards``) and the similarity of their texts reaches the threshold;
/// when another guard-compatible entry with a different answer scores within the ambiguity margin of the
/// best, nothing answers.
public struct Layer0Matcher: Sendable {
    /// The thresholds of a decision.
    public struct Settings: Sendable, Hashable {
        /// Lowest cosine similarity of a hit.
        public var threshold: Double
        /// A runner-up with a different answer this close to the best makes the lookup a miss.
        public var margin: Double

        public init(threshold: Double = Self.defaultThreshold, margin: Double = 0.05) {
            self.threshold = threshold
            self.margin = margin
        }

        /// Tuned on the FailureSensorIQ dev split (see BENCHMARKS.md, "Layer 0").
        public static let defaultThreshold = 0.6
    }

    public let analyzer: Layer0Analyzer
    private var exact = ExactMatcher()
    private var index = SemanticIndex()

    /// Number of entries.
    public var count: Int { index.count }

    public init(entries: [KnowledgeEntry] = [], analyzer: Layer0Analyzer = Layer0Analyzer()) {
        self.analyzer = analyzer
        for entry in entries { upsert(entry) }
    }

    /// An entry analysed for ``insert(_:)``; build it outside any lock.
    public struct Prepared: Sendable {
        fileprivate var item: SemanticIndex.Item
    }

    /// Analyses `entry` (the expensive part of an insert).
    public func prepare(_ entry: KnowledgeEntry) -> Prepared {
        Self.prepare(entry, analyzer: analyzer)
    }

    /// Analyses `entry` with `analyzer`, without a matcher at hand.
    public static func prepare(_ entry: KnowledgeEntry, analyzer: Layer0Analyzer) -> Prepared {
        let signature = analyzer.signature(of: entry)
        return Prepared(item: .init(entry: entry, key: signature.key, vector: signature.vector, assetIds: signature.guards.assetIds))
    }

    /// Adds a prepared entry, replacing the one with the same key.
    public mutating func insert(_ prepared: Prepared) {
        let entry = prepared.item.entry
        exact.remove(key: entry.key)
        if !entry.isCache, let code = entry.faultCode, !code.isEmpty { exact.insert(entry) }
        index.insert(prepared.item)
    }

    /// Adds or replaces (by key) one entry.
    public mutating func upsert(_ entry: KnowledgeEntry) {
        insert(prepare(entry))
    }

    /// Removes the entry with `key`, if present.
    public mutating func remove(key: String) {
        exact.remove(key: key)
        index.remove(key: key)
    }

    /// The entry with `key`.
    public func entry(forKey key: String) -> KnowledgeEntry? { index.entry(forKey: key) }

    /// Every entry.
    public var entries: [KnowledgeEntry] { index.entries }

    /// The entry that answers `payload` at `now`, or nil.
    public func match(_ payload: QueryPayload, settings: Settings = Settings(), now: Date) -> Layer0Match? {
        guard let probe = analyzer.probe(payload) else { return nil }
        return match(probe, settings: settings, now: now)
    }

    /// The entry that answers an analysed query at `now`, or nil.
    public func match(_ probe: Layer0Probe, settings: Settings = Settings(), now: Date) -> Layer0Match? {
        if let event = probe.event, let entry = exact.match(.faultEvent(event), now: now) {
            return Layer0Match(entry: entry, score: 1, method: .faultCode, runnerUp: nil)
        }
        let found = candidates(probe, now: now, limit: 8)
        guard let best = Self.decide(found, settings: settings) else { return nil }
        let runnerUp = found.first { $0.entry.key != best.entry.key }?.score
        return Layer0Match(entry: best.entry, score: best.score, method: .semantic, runnerUp: runnerUp)
    }

    /// The guard-compatible entries for `probe`, best first (for evaluation and explanations).
    public func candidates(_ probe: Layer0Probe, now: Date, limit: Int = 8) -> [Layer0Candidate] {
        index.candidates(for: probe, now: now, limit: limit)
    }

    /// The candidate that answers, given `candidates` sorted best first: the best one when it reaches the
    /// threshold and no candidate with a different answer is within the margin of it.
    public static func decide(_ candidates: [Layer0Candidate], settings: Settings) -> Layer0Candidate? {
        guard let best = candidates.first, best.score >= settings.threshold else { return nil }
        let answer = normalisedAnswer(best.entry.answer)
        for other in candidates.dropFirst() where other.score >= best.score - settings.margin {
            if normalisedAnswer(other.entry.answer) != answer { return nil }
        }
        return best
    }

    private static func normalisedAnswer(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace || $0.isPunctuation }).joined(separator: " ")
    }
}

/// A Layer 0 hit.
public struct Layer0Match: Sendable, Hashable {
    /// How the entry was found.
    public enum Method: String, Sendable, Hashable {
        /// The event's fault code (and asset class and tag) named a curated entry.
        case faultCode = "fault_code"
        /// Every guard agreed and the texts were similar enough.
        case semantic
    }

    public var entry: KnowledgeEntry
    /// 1 for the fault-code path, else the cosine similarity.
    public var score: Double
    public var method: Method
    /// The next candidate's similarity, when there was one.
    public var runnerUp: Double?
}
