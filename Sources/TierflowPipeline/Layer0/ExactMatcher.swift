import Foundation
import TierflowCore

/// Layer 0's first matcher: exact agreement, never similarity.
///
/// A fault event hits an entry whose fault code equals the event's (case-insensitive) and whose asset
/// class, when the entry names one, equals the event's; an entry naming a PLC tag also needs the same
/// tag. A chat question hits an entry whose question is the same after case and white-space folding.
/// Expired entries never hit. When several entries match, the most specific one (asset class, tag) wins.
public struct ExactMatcher: Sendable {
    private var byFaultCode: [String: [KnowledgeEntry]] = [:]
    private var byQuestion: [String: KnowledgeEntry] = [:]
    /// Entry key → its fault code (folded) or normalised question, for removal.
    private var placement: [String: Placement] = [:]

    private enum Placement: Sendable {
        case faultCode(String)
        case question(String)
    }

    /// Number of entries indexed.
    public private(set) var count = 0

    public init(entries: [KnowledgeEntry] = []) {
        for entry in entries { insert(entry) }
    }

    /// Adds or replaces (by key) one entry.
    public mutating func insert(_ entry: KnowledgeEntry) {
        remove(key: entry.key)
        count += 1
        if let code = entry.faultCode.map(Self.fold), !code.isEmpty {
            byFaultCode[code, default: []].append(entry)
            placement[entry.key] = .faultCode(code)
        } else {
            let question = Self.normalise(entry.question)
            if let previous = byQuestion[question] {
                placement[previous.key] = nil
                count -= 1
            }
            byQuestion[question] = entry
            placement[entry.key] = .question(question)
        }
    }

    /// Removes the entry with `key`, if present.
    public mutating func remove(key: String) {
        guard let place = placement.removeValue(forKey: key) else { return }
        count -= 1
        switch place {
        case .faultCode(let code):
            let kept = (byFaultCode[code] ?? []).filter { $0.key != key }
            byFaultCode[code] = kept.isEmpty ? nil : kept
        case .question(let question):
            byQuestion[question] = nil
        }
    }

    /// The entry that answers `payload` at `now`, or nil.
    public func match(_ payload: QueryPayload, now: Date) -> KnowledgeEntry? {
        switch payload {
        case .faultEvent(let event):
            guard let code = event.faultCode.map(Self.fold), let candidates = byFaultCode[code] else { return nil }
            let eventClass = event.assetClass.map(Self.fold)
            let eventTag = event.tag.map(Self.fold)
            return candidates
                .filter { entry in
                    entry.isValid(at: now)
                        && (entry.assetClass.map { Self.fold($0) == eventClass } ?? true)
                        && (entry.tag.map { Self.fold($0) == eventTag } ?? true)
                }
                .max { Self.specificity($0) < Self.specificity($1) }
        case .chat(let chat):
            guard let entry = byQuestion[Self.normalise(chat.question)], entry.isValid(at: now) else { return nil }
            return entry
        }
    }

    private static func specificity(_ entry: KnowledgeEntry) -> Int {
        (entry.assetClass == nil ? 0 : 2) + (entry.tag == nil ? 0 : 1)
    }

    static func fold(_ text: String) -> String {
        text.trimmingWhitespace().lowercased()
    }

    static func normalise(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            .trimming { "?!. ".contains($0) }
    }
}
