import Foundation
import TierflowCore

/// A rule-based scorer whose every estimate can be explained.
///
/// It rates a query's difficulty d in [0, 1] from visible features — prompt length, numbers and
/// code, reasoning words (why, explain, compare, calculate), conversation turns, and for alarms the
/// severity and whether a fault code identifies the fault — and gives tier k (cheapest = 0, of n) the
/// estimate `sigmoid(8 · (capability_k − d))` with capability spread evenly from 0.55 to 0.95.
public struct TransparentScorer: TierScorer {
    public let name = "transparent"

    public init() {}

    public func estimates(for envelope: QueryEnvelope, tiers: [TierConfig]) -> [Double] {
        let difficulty = Self.difficulty(of: envelope.payload)
        let count = tiers.count
        return tiers.indices.map { index in
            let capability = count == 1 ? 0.95 : 0.55 + 0.4 * Double(index) / Double(count - 1)
            return 1 / (1 + exp(-8 * (capability - difficulty)))
        }
    }

    /// The difficulty of a query in [0, 1].
    public static func difficulty(of payload: QueryPayload) -> Double {
        switch payload {
        case .faultEvent(let event):
            var d = 0.25
            if event.faultCode == nil { d += 0.15 }
            switch event.severity {
            case .critical: d += 0.35
            case .high: d += 0.2
            case .medium: d += 0.1
            case .low, .info: break
            }
            if (event.values?.count ?? 0) > 3 { d += 0.1 }
            return min(1, d + textDifficulty(event.message) * 0.3)
        case .chat(let chat):
            let turns = Double(chat.messages.filter { $0.role == "user" }.count)
            return min(1, textDifficulty(chat.question) + min(0.2, 0.05 * (turns - 1)))
        }
    }

    static let reasoningWords: Set<String> = [
        "why", "explain", "compare", "calculate", "derive", "prove", "design", "analyse", "analyze", "evaluate",
        "optimise", "optimize", "trade-off", "tradeoff", "root", "cause", "plan", "estimate",
    ]

    static func textDifficulty(_ text: String) -> Double {
        let counts = asciiWordCounts(text) ?? wordCounts(text)
        let length = min(1, Double(counts.words) / 150)
        let reasoning = min(1, Double(counts.reasoning) / 3)
        let numbers = min(1, Double(counts.numbers) / 8)
        let code = text.containsBytes(of: "```") || text.containsBytes(of: "{") || text.containsBytes(of: "def ") ? 1.0 : 0.0
        return min(1, 0.15 + 0.3 * length + 0.3 * reasoning + 0.15 * numbers + 0.15 * code)
    }

    /// Words (runs of letters, digits and hyphens), reasoning words among them, and words that start with a digit.
    typealias WordCounts = (words: Int, reasoning: Int, numbers: Int)

    /// ``WordCounts`` by Unicode's letter and number properties, for any text.
    static func wordCounts(_ text: String) -> WordCounts {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "-" }
        return (words.count, words.filter { reasoningWords.contains(String($0)) }.count, words.filter { $0.first?.isNumber == true }.count)
    }

    /// ``wordCounts(_:)`` for ASCII text, read byte by byte (in ASCII the letters are A–Z and a–z and the numbers
    /// 0–9); nil when the text is not all ASCII.
    static func asciiWordCounts(_ text: String) -> WordCounts? {
        var text = text
        return text.withUTF8 { bytes -> WordCounts? in
            var counts: WordCounts = (0, 0, 0)
            var start: Int?
            for index in 0...bytes.count {
                let byte = index < bytes.count ? bytes[index] : 0x20
                guard byte < 0x80 else { return nil }
                if byte.isASCIIAlphanumeric || byte == UInt8(ascii: "-") {
                    if start == nil { start = index }
                    continue
                }
                guard let first = start else { continue }
                start = nil
                counts.words += 1
                if bytes[first].isASCIIDigit { counts.numbers += 1 }
                if index - first <= maxReasoningWordLength {
                    let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<index]), as: UTF8.self).lowercased()
                    if reasoningWords.contains(word) { counts.reasoning += 1 }
                }
            }
            return counts
        }
    }

    static let maxReasoningWordLength = reasoningWords.map(\.utf8.count).max() ?? 0
}
