import Foundation
import TierflowCore

/// Precision and recall of Layer 0's hits on labelled queries, at one threshold or over a range.
///
/// A query that must hit names the key of the entry that answers it; a query that must miss names none.
/// A hit on the expected key is correct; any other hit is a false hit. Precision = correct / hits, recall =
/// correct / queries that must hit. Each query is looked up once; the thresholds are applied afterwards.
public struct Layer0Evaluation: Sendable {
    /// One labelled query.
    public struct Query: Sendable {
        public var id: String
        public var payload: QueryPayload
        /// The key of the entry that must answer it, or nil when nothing may.
        public var expect: String?
        /// A free label for the breakdown (`paraphrase`, `swap-asset`, …).
        public var kind: String

        public init(id: String, payload: QueryPayload, expect: String?, kind: String) {
            self.id = id
            self.payload = payload
            self.expect = expect
            self.kind = kind
        }
    }

    /// What the matcher found for one query.
    public struct Lookup: Sendable {
        public var query: Query
        /// The fault-code path's entry (a hit at any threshold).
        public var exact: KnowledgeEntry?
        /// Guard-compatible entries, best first.
        public var candidates: [Layer0Candidate]
    }

    /// Counts at one threshold.
    public struct Point: Sendable, Hashable {
        public var threshold: Double
        public var hits = 0
        public var correct = 0
        public var positives = 0
        public var negatives = 0
        /// Correct hits / hits (1 when there are none).
        public var precision: Double { hits == 0 ? 1 : Double(correct) / Double(hits) }
        /// Correct hits / queries that must hit.
        public var recall: Double { positives == 0 ? 0 : Double(correct) / Double(positives) }
        public var falseHits: Int { hits - correct }
    }

    public let lookups: [Lookup]

    /// Looks every query up in `matcher` at `now`.
    public init(matcher: Layer0Matcher, queries: [Query], now: Date) {
        lookups = queries.map { query in
            guard let probe = matcher.analyzer.probe(query.payload) else { return Lookup(query: query, exact: nil, candidates: []) }
            var exact: KnowledgeEntry?
            if probe.event != nil, let match = matcher.match(probe, settings: .init(threshold: 2, margin: 0), now: now),
                match.method == .faultCode
            {
                exact = match.entry
            }
            return Lookup(query: query, exact: exact, candidates: matcher.candidates(probe, now: now, limit: 8))
        }
    }

    /// The baseline the guards are measured against: plain vector similarity over every entry (what the
    /// semantic caches of LiteLLM or vLLM Semantic Router do), no guards, no fault-code path.
    public init(similarityOnly entries: [KnowledgeEntry], queries: [Query], analyzer: Layer0Analyzer) {
        let vectors = entries.map { analyzer.signature(of: $0).vector }
        lookups = queries.map { query in
            guard let probe = analyzer.probe(query.payload) else { return Lookup(query: query, exact: nil, candidates: []) }
            var scored = zip(entries, vectors).map { Layer0Candidate(entry: $0.0, score: probe.signature.vector.cosine($0.1)) }
            scored.sort { $0.score > $1.score }
            return Lookup(query: query, exact: nil, candidates: Array(scored.prefix(8)))
        }
    }

    /// The entry that answers `lookup` under `settings`, or nil.
    public static func answer(_ lookup: Lookup, settings: Layer0Matcher.Settings) -> KnowledgeEntry? {
        lookup.exact ?? Layer0Matcher.decide(lookup.candidates, settings: settings)?.entry
    }

    /// The counts at `settings`, over the queries whose kind passes `filter`.
    public func point(_ settings: Layer0Matcher.Settings, where filter: (String) -> Bool = { _ in true }) -> Point {
        var point = Point(threshold: settings.threshold)
        for lookup in lookups where filter(lookup.query.kind) {
            if lookup.query.expect == nil { point.negatives += 1 } else { point.positives += 1 }
            guard let hit = Self.answer(lookup, settings: settings) else { continue }
            point.hits += 1
            if hit.key == lookup.query.expect { point.correct += 1 }
        }
        return point
    }

    /// The counts at each threshold in `thresholds`, with `margin`.
    public func curve(_ thresholds: [Double], margin: Double) -> [Point] {
        thresholds.map { point(.init(threshold: $0, margin: margin)) }
    }

    /// The query kinds, in order of first appearance.
    public var kinds: [String] {
        var seen: [String] = []
        for lookup in lookups where !seen.contains(lookup.query.kind) { seen.append(lookup.query.kind) }
        return seen
    }

    // MARK: Query files

    /// A line of a query file that could not be used.
    public typealias LineError = KnowledgeFileParser.LineError

    /// Reads JSON Lines: `{"id": …, "text": "…" | "event": {fault event} | "messages": [...], "expect": key | null,
    /// "kind": "…"}`.
    public static func parseQueries(_ text: String) -> (queries: [Query], errors: [LineError]) {
        var queries: [Query] = []
        var errors: [LineError] = []
        let decoder = JSONDecoder()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let number = index + 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                errors.append(LineError(line: number, message: "not a JSON object"))
                continue
            }
            let payload: QueryPayload
            if let text = object["text"] as? String {
                payload = .chat(ChatRequest(messages: [.init(role: "user", content: text)]))
            } else if let event = object["event"], let data = try? JSONSerialization.data(withJSONObject: event),
                let decoded = try? decoder.decode(FaultEvent.self, from: data)
            {
                payload = .faultEvent(decoded)
            } else if let messages = object["messages"], let data = try? JSONSerialization.data(withJSONObject: messages),
                let decoded = try? decoder.decode([ChatRequest.Message].self, from: data)
            {
                payload = .chat(ChatRequest(messages: decoded))
            } else {
                errors.append(LineError(line: number, message: "needs \"text\", a valid \"event\" or \"messages\""))
                continue
            }
            let expect = object["expect"] as? String
            if object["expect"] != nil && expect == nil && !(object["expect"] is NSNull) {
                errors.append(LineError(line: number, message: "\"expect\" must be an entry key or null"))
                continue
            }
            let id = (object["id"] as? String) ?? (object["id"] as? Int).map(String.init) ?? "line-\(number)"
            queries.append(Query(id: id, payload: payload, expect: expect, kind: (object["kind"] as? String) ?? "-"))
        }
        return (queries, errors)
    }
}
