import Foundation
import TierflowCore

/// Turns the signals an answer carries into a confidence in [0, 1].
///
/// Signals, each used when present:
/// - token log-probabilities: `exp(mean)`, pulled down when the least likely token is very unlikely;
/// - a self-reported `Confidence: N` line (0–100), when the tier's prompt asked for one;
/// - the finish reason: a truncated answer (`length`, `max_tokens`) is halved;
/// - refusal and hedging phrases lower it; an empty or failed answer scores 0.
/// Without log-probabilities or a self-report (Anthropic's API has no log-probabilities) the base is a
/// neutral 0.6, so such a tier's threshold decides through the penalties alone.
public struct ConfidenceScorer: Sendable {
    public init() {}

    /// The signals behind one score, for the hop log.
    public struct Assessment: Sendable, Hashable {
        public var confidence: Double
        public var signals: [String: Double]
    }

    public func assess(_ attempt: TierAttempt) -> Assessment {
        var signals: [String: Double] = [:]
        let answer = attempt.answer.trimmingWhitespace()
        if attempt.error != nil || answer.isEmpty {
            return Assessment(confidence: 0, signals: ["empty_or_failed": 1])
        }
        var parts: [(value: Double, weight: Double)] = []
        if let mean = attempt.meanLogprob {
            var fromLogprobs = exp(min(0, mean))
            signals["mean_logprob"] = mean
            if let minimum = attempt.minLogprob {
                signals["min_logprob"] = minimum
                // A single token below ~e^-4 suggests a guess; scale down smoothly to at most half.
                fromLogprobs *= 0.5 + 0.5 * exp(min(0, minimum + 4) / 2)
            }
            parts.append((fromLogprobs, 0.6))
        }
        let lowered = Array(answer.lowercased().utf8)
        if let reported = Self.selfReportedConfidence(inLowercased: lowered) {
            signals["self_reported"] = reported
            parts.append((reported, 0.4))
        }
        var confidence = parts.isEmpty ? 0.6 : parts.reduce(0) { $0 + $1.value * $1.weight } / parts.reduce(0) { $0 + $1.weight }

        if let reason = attempt.finishReason?.lowercased(), ["length", "max_tokens", "max_output_tokens"].contains(reason) {
            signals["truncated"] = 1
            confidence *= 0.5
        }
        let (refusals, hedges) = lowered.withUnsafeBufferPointer {
            (Self.refusals.countOccurring(in: $0), Self.hedges.countOccurring(in: $0))
        }
        if refusals > 0 {
            signals["refusal"] = Double(refusals)
            confidence *= 0.2
        }
        if hedges > 0 {
            signals["hedging"] = Double(hedges)
            confidence *= pow(0.8, Double(min(hedges, 3)))
        }
        // Fewer than eight characters (counting stops at the eighth, however long the answer).
        if answer.index(answer.startIndex, offsetBy: 8, limitedBy: answer.endIndex) == nil {
            signals["very_short"] = 1
            confidence *= 0.5
        }
        return Assessment(confidence: max(0, min(1, confidence)), signals: signals)
    }

    static let refusalPhrases: [[UInt8]] = [
        "i cannot help", "i can't help", "i'm unable to", "i am unable to", "i cannot provide", "i can't provide",
        "as an ai", "i don't have enough information", "i do not have enough information", "cannot determine",
    ].map { Array($0.utf8) }

    static let hedgingPhrases: [[UInt8]] = [
        "i'm not sure", "i am not sure", "not certain", "it is unclear", "it's unclear", "hard to say",
        "i don't know", "i do not know", "might be", "possibly", "perhaps", "i think", "i guess",
    ].map { Array($0.utf8) }

    private static let refusals = PhraseSet(refusalPhrases)
    private static let hedges = PhraseSet(hedgingPhrases)

    /// Reads a trailing `Confidence: N` (0–100, or 0–1) line.
    static func selfReportedConfidence(in answer: String) -> Double? {
        selfReportedConfidence(inLowercased: Array(answer.lowercased().utf8))
    }

    static func selfReportedConfidence(inLowercased text: [UInt8]) -> Double? {
        guard let start = lastIndex(of: confidenceLabel, in: text) else { return nil }
        var index = start + confidenceLabel.count
        while index < text.count, text[index] == UInt8(ascii: " ") || text[index] == UInt8(ascii: "*") { index += 1 }
        var end = index
        while end < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[end]) || text[end] == UInt8(ascii: ".") {
            end += 1
        }
        guard end > index, let value = Double(String(decoding: text[index..<end], as: UTF8.self)) else { return nil }
        let scaled = value > 1 ? value / 100 : value
        return (0...1).contains(scaled) ? scaled : nil
    }

    private static let confidenceLabel = Array("confidence:".utf8)

    private static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let head = needle.first, haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            if haystack[index] == head, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index -= 1
        }
        return nil
    }
}
