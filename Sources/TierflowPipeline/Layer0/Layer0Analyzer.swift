import Foundation
import TierflowCore

/// A query or an entry as Layer 0 compares them: the guards, their blocking key and the similarity vector.
public struct Layer0Signature: Sendable, Hashable {
    public var guards: Layer0Guards
    public var key: Layer0GuardKey
    /// Stemmed content words (function words left out), weighted 1 + ln(count), unit length.
    public var vector: SparseVector
}

/// Turns texts, entries and queries into ``Layer0Signature``s. Deterministic and thread-safe (its one cache, of
/// asset classes' terms, takes a lock); a lookup analyses its query before taking the knowledge base's lock.
public struct Layer0Analyzer: Sendable {
    public let lexicon: DomainLexicon
    private let genericHashes: HashedKeyTable<Bool>
    private let assetClassTerms = AssetClassTerms()

    public init(lexicon: DomainLexicon = .standard) {
        self.lexicon = lexicon
        var generic = HashedKeyTable<Bool>()
        for stem in WordStemmer.genericStems { generic[WordStemmer.hash(stem)] = true }
        genericHashes = generic
    }

    /// The signature of `text` with the structured fields a fault event or an entry carries.
    public func signature(
        text: String, faultCode: String? = nil, tag: String? = nil, asset: String? = nil, assetClass: String? = nil
    ) -> Layer0Signature {
        var analysed = analyse(text)
        for code in [faultCode, tag].compactMap({ $0?.trimmingWhitespace() }) where !code.isEmpty {
            analysed.identifiers.append(code.uppercased())
        }
        if let asset = asset?.trimmingWhitespace(), !asset.isEmpty { analysed.assetIds.append(asset.uppercased()) }
        if let assetClass = assetClass?.trimmingWhitespace(), !assetClass.isEmpty {
            analysed.concepts += assetClassTerms.terms(of: assetClass) { assetClass in
                let terms = analyse(assetClass).concepts
                return terms.isEmpty ? ["class:" + assetClass.lowercased()] : terms
            }
        }
        let guards = Layer0Guards(
            identifiers: analysed.identifiers, assetIds: analysed.assetIds, quantities: analysed.quantities,
            concepts: analysed.concepts, directions: analysed.directions, negated: analysed.negated)
        return Layer0Signature(guards: guards, key: guards.blockingKey, vector: SparseVector(occurrences: analysed.features))
    }

    /// The signature of an entry: its question with its fault code, tag, asset and asset class.
    public func signature(of entry: KnowledgeEntry) -> Layer0Signature {
        signature(text: entry.question, faultCode: entry.faultCode, tag: entry.tag, asset: entry.asset, assetClass: entry.assetClass)
    }

    /// What Layer 0 looks up for `payload`; nil when it must not answer it at all (a conversation with
    /// earlier turns: its last question may depend on them).
    public func probe(_ payload: QueryPayload) -> Layer0Probe? {
        switch payload {
        case .faultEvent(let event):
            let signature = signature(
                text: Self.text(of: event), faultCode: event.faultCode, tag: event.tag, asset: event.asset,
                assetClass: event.assetClass)
            return Layer0Probe(signature: signature, event: event, hasSystemPrompt: false)
        case .chat(let chat):
            let users = chat.messages.filter { $0.role == "user" }.count
            let others = chat.messages.filter { $0.role != "user" && $0.role != "system" && $0.role != "developer" }.count
            guard users == 1, others == 0 else { return nil }
            let system = chat.messages.contains { $0.role == "system" || $0.role == "developer" }
            return Layer0Probe(signature: signature(text: chat.question), event: nil, hasSystemPrompt: system)
        }
    }

    /// The text that stands for a fault event in Layer 0 (and in cache entries written back for one):
    /// the alarm type in words, the message, and the sensor values sorted by name.
    public static func text(of event: FaultEvent) -> String {
        var parts: [String] = []
        if let alarm = event.alarmType?.uppercased(), !alarm.isEmpty {
            switch alarm {
            case "H", "HH", "HI", "HIGH": parts.append("high alarm.")
            case "L", "LL", "LO", "LOW": parts.append("low alarm.")
            default: parts.append("\(alarm.lowercased()) alarm.")
            }
        }
        parts.append(event.message)
        if let values = event.values, !values.isEmpty {
            parts.append("; " + values.keys.sorted().map { "\($0) \(values[$0]!)" }.joined(separator: "; "))
        }
        return parts.joined(separator: " ")
    }

    // MARK: Text

    struct Analysed {
        var identifiers: [String]
        var assetIds: [String]
        var quantities: [String]
        var concepts: [String] = []
        var directions: [String] = []
        var negated = false
        var features: [UInt32] = []
    }

    func analyse(_ text: String) -> Analysed {
        let scanner = TextScanner(text)
        var result = Analysed(identifiers: scanner.identifiers, assetIds: scanner.assetIds, quantities: scanner.quantities)
        var concepts = Set<Int32>()
        var up = false
        var down = false
        for segment in scanner.segments {
            let words = Self.rewritingAbnormal(segment)
            var tokens: [DomainLexicon.Token] = []
            tokens.reserveCapacity(words.count)
            var consumed = Set<Int>()
            var previous: WordStemmer.Flags = []
            for (position, word) in words.enumerated() {
                let flags = WordStemmer.flags[word.hash] ?? []
                if flags.contains(.negation) || (flags.contains(.negationTail) && previous.contains(.negationLead)) {
                    result.negated = true
                }
                previous = flags
                if flags.contains(.up) { up = true }
                if flags.contains(.down) { down = true }
                if flags.contains(.function) { continue }
                let stem = WordStemmer.stemHash(word.text)
                result.features.append(UInt32(truncatingIfNeeded: stem ^ (stem >> 32)))
                if flags.contains(.question) { continue }
                tokens.append(.init(stem: stem, generic: genericHashes[stem] != nil, position: position))
            }
            lexicon.match(tokens, into: &concepts, consumed: &consumed)
            for (position, word) in words.enumerated() where word.acronym && !consumed.contains(position) {
                result.identifiers.append(String(decoding: word.text, as: UTF8.self).uppercased())
            }
        }
        if up { result.directions.append("up") }
        if down { result.directions.append("down") }
        result.concepts = concepts.map { lexicon.concept($0) }
        return result
    }

    /// "unusual", "not within the normal range", "outside normal limits" → "abnormal".
    static func rewritingAbnormal(_ words: [TextScanner.Word]) -> [TextScanner.Word] {
        func flags(_ index: Int) -> WordStemmer.Flags { index < words.count ? WordStemmer.flags[words[index].hash] ?? [] : [] }
        var out: [TextScanner.Word] = []
        out.reserveCapacity(words.count)
        var index = 0
        while index < words.count {
            let current = flags(index)
            if current.contains(.abnormal) {
                out.append(abnormal)
                index += 1
                continue
            }
            if current.contains(.notOrOutside) {
                var next = index + 1
                if flags(next).contains(.withinInOf) { next += 1 }
                if flags(next).contains(.the) { next += 1 }
                if flags(next).contains(.normal) {
                    next += 1
                    if flags(next).contains(.range) { next += 1 }
                    out.append(abnormal)
                    index = next
                    continue
                }
            }
            out.append(words[index])
            index += 1
        }
        return out
    }

    private static let abnormal = TextScanner.Word(text: Array("abnormal".utf8), acronym: false)
}

/// A query as Layer 0 looks it up.
public struct Layer0Probe: Sendable {
    public var signature: Layer0Signature
    /// The fault event, for the exact fault-code path.
    public var event: FaultEvent?
    /// A chat with a system prompt: cache entries (answered without one) are not served to it.
    public var hasSystemPrompt: Bool

    public init(signature: Layer0Signature, event: FaultEvent? = nil, hasSystemPrompt: Bool = false) {
        self.signature = signature
        self.event = event
        self.hasSystemPrompt = hasSystemPrompt
    }
}
