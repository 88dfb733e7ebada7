import Foundation
import TierflowCore

/// Decides which answers become Layer 0 cache entries, and builds those entries.
///
/// An answer is cached only when caching is on, the evaluator accepted it with at least `minConfidence`,
/// it did not fail, and it is not from the simulated backend (unless `allowSimulated`). Only queries
/// Layer 0 can look up again are cached: fault events, and chats with exactly one user message and no
/// system prompt. The entry's key is a hash of what the query asks, so the same question cached twice is
/// one row (the newer answer wins); it expires after `ttl`.
public struct CacheWritePolicy: Sendable, Hashable {
    public var enabled: Bool
    public var minConfidence: Double
    public var ttlSeconds: Double
    public var allowSimulated: Bool

    public init(enabled: Bool = true, minConfidence: Double = 0.85, ttlSeconds: Double = 7 * 86_400, allowSimulated: Bool = false) {
        self.enabled = enabled
        self.minConfidence = minConfidence
        self.ttlSeconds = ttlSeconds
        self.allowSimulated = allowSimulated
    }

    public init(_ config: Layer0Config.Cache) {
        self.init(
            enabled: config.enabled, minConfidence: config.minConfidence, ttlSeconds: config.ttlSeconds,
            allowSimulated: config.allowSimulated)
    }

    /// Why an answer was not cached.
    public enum Refusal: String, Error, Sendable, Hashable {
        case disabled, lowConfidence = "low_confidence", simulated, failed, emptyAnswer = "empty_answer"
        case notCacheable = "not_cacheable"
    }

    /// The cache entry for the answer `attempt` gave to `envelope`, accepted with `confidence`.
    public func entry(for envelope: QueryEnvelope, attempt: TierAttempt, confidence: Double, now: Date) -> Result<KnowledgeEntry, Refusal> {
        guard enabled else { return .failure(.disabled) }
        guard attempt.error == nil else { return .failure(.failed) }
        guard confidence >= minConfidence else { return .failure(.lowConfidence) }
        guard !attempt.simulated || allowSimulated else { return .failure(.simulated) }
        let source = "\(attempt.tier)/\(attempt.model)\(attempt.simulated ? " (simulated)" : ""), confidence \((confidence * 100).rounded() / 100)"
        return entry(payload: envelope.payload, answer: attempt.answer, derivedFrom: envelope.id, source: source, now: now)
    }

    /// A cache entry answering `payload` with `answer` (for write-back and for promoted results).
    public func entry(payload: QueryPayload, answer: String, derivedFrom: String, source: String?, now: Date) -> Result<KnowledgeEntry, Refusal> {
        let answer = answer.trimmingWhitespace()
        guard !answer.isEmpty else { return .failure(.emptyAnswer) }
        switch payload {
        case .faultEvent(let event):
            let question = Layer0Analyzer.text(of: event)
            let key = Self.key(
                "event", question, event.faultCode?.uppercased() ?? "", event.assetClass?.lowercased() ?? "", event.tag?.uppercased() ?? "",
                event.asset.uppercased())
            return .success(KnowledgeEntry(
                key: key, kind: "cache", faultCode: event.faultCode, assetClass: event.assetClass?.lowercased(), tag: event.tag,
                asset: event.asset, question: question, answer: answer, source: source, derivedFrom: derivedFrom,
                validUntil: now.addingTimeInterval(ttlSeconds)))
        case .chat(let chat):
            guard chat.messages.count == 1, chat.messages[0].role == "user" else { return .failure(.notCacheable) }
            let question = chat.question.trimmingWhitespace()
            guard !question.isEmpty else { return .failure(.notCacheable) }
            return .success(KnowledgeEntry(
                key: Self.key("chat", ExactMatcher.normalise(question)), kind: "cache", question: question, answer: answer,
                source: source, derivedFrom: derivedFrom, validUntil: now.addingTimeInterval(ttlSeconds)))
        }
    }

    static func key(_ parts: String...) -> String {
        "cache:" + StableHash.hex(parts)
    }
}
