import Foundation

/// A knowledge-base entry (or a cached answer) that Layer 0 can answer from.
public struct KnowledgeEntry: Sendable, Hashable {
    public var key: String
    /// `kb` for curated entries, `cache` for answers written back from a tier.
    public var kind: String
    public var faultCode: String?
    /// When set, only queries about this kind of asset match.
    public var assetClass: String?
    public var tag: String?
    /// When set, only queries about this asset (e.g. `P-101`) match.
    public var asset: String?
    public var question: String
    public var answer: String
    public var source: String?
    /// Cache entries: the knowledge-base key or the query id the answer came from.
    public var derivedFrom: String?
    public var validUntil: Date?

    public init(
        key: String, kind: String = "kb", faultCode: String? = nil, assetClass: String? = nil, tag: String? = nil,
        asset: String? = nil, question: String, answer: String, source: String? = nil, derivedFrom: String? = nil,
        validUntil: Date? = nil
    ) {
        self.key = key
        self.kind = kind
        self.faultCode = faultCode
        self.assetClass = assetClass
        self.tag = tag
        self.asset = asset
        self.question = question
        self.answer = answer
        self.source = source
        self.derivedFrom = derivedFrom
        self.validUntil = validUntil
    }

    /// Whether the entry may still be served at `now`.
    public func isValid(at now: Date) -> Bool {
        validUntil.map { $0 > now } ?? true
    }

    /// Whether this is an answer written back by the pipeline rather than a curated entry.
    public var isCache: Bool { kind == "cache" }
}
