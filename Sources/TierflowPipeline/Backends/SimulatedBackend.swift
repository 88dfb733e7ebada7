import Foundation
import TierflowCore

/// A deterministic stand-in for an LLM, for dry runs, tests and load tests. Its answers say they are simulated.
///
/// Each prompt has a hidden difficulty u in [0, 1) derived from its text; a tier with skill s answers
/// it well when u < s, so a stronger tier answers a superset of what a weaker one does, and about s of
/// all prompts. Good answers carry high token log-probabilities; poor ones low log-probabilities and
/// sometimes hedging, so the confidence evaluator escalates them at realistic rates (with some noise).
/// Token counts follow the prompt (about 4 characters a token) and a per-prompt answer length;
/// latency is log-normal around the tier's `simulated.latency_ms` (none when it is 0).
public struct SimulatedBackend: LLMBackend {
    public init() {}

    public func complete(_ prompt: Prompt, tier: TierConfig) async throws -> BackendAnswer {
        let text = prompt.text
        let difficulty = StableHash.unit("difficulty", text)
        let noise = StableHash.unit("noise", tier.name, text)
        let good = difficulty < tier.simulation.skill
        let median = tier.simulation.latencyMilliseconds
        if median > 0 {
            // Log-normal with sigma 0.5 around the median, from a per-prompt normal deviate.
            let u1 = max(1e-9, StableHash.unit("latency-a", tier.name, text))
            let u2 = StableHash.unit("latency-b", tier.name, text)
            let normal = sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
            let milliseconds = median * exp(0.5 * normal)
            try await Task.sleep(for: .microseconds(Int(milliseconds * 1000)))
        }
        let tokensIn = max(1, text.utf8.count / 4)
        let tokensOut = 60 + Int(StableHash.unit("length", text) * 240)
        let mean: Double
        let minimum: Double
        var answer: String
        let subject = prompt.messages.last { !$0.content.hasPrefix("After your answer") }?.content ?? text
        let gist = Self.gist(of: subject)
        if good {
            mean = -0.05 - 0.25 * noise
            minimum = -0.8 - 2.0 * noise
            answer = "[simulated \(tier.name)] Likely cause and first action for: \(gist). Check the sensor and the equipment named in the alarm, then follow the maintenance procedure for this fault code."
        } else {
            mean = -0.45 - 0.9 * noise
            minimum = -3.0 - 3.5 * noise
            let hedge = noise > 0.5 ? "I'm not sure, but it might be" : "Possibly"
            answer = "[simulated \(tier.name)] \(hedge) related to: \(gist)."
        }
        let truncated = prompt.maxTokens.map { tokensOut > $0 } ?? false
        return BackendAnswer(
            text: answer, model: "simulated/\(tier.model)", tokensIn: tokensIn,
            tokensOut: truncated ? prompt.maxTokens! : tokensOut, finishReason: truncated ? "length" : "stop",
            meanLogprob: mean, minLogprob: minimum, simulated: true)
    }

    /// The last non-empty line of `subject`, at most 120 characters: what a simulated answer quotes.
    ///
    /// The same as `subject.split(separator: "\n").last?.prefix(120)`, without going through `Character`s when
    /// that line is ASCII: a line feed is a `Character` of its own (and so a separator) unless a carriage return
    /// comes before it, so only the last line and the byte before its line feed need looking at.
    static func gist(of subject: String) -> String {
        var subject = subject
        let quick = subject.withUTF8 { utf8 -> String? in
            var end = utf8.count
            while true {
                var start = end
                while start > 0, utf8[start - 1] != UInt8(ascii: "\n") {
                    guard utf8[start - 1] < 0x80, utf8[start - 1] != UInt8(ascii: "\r") else { return nil }
                    start -= 1
                }
                if start > 1, utf8[start - 2] == UInt8(ascii: "\r") { return nil }
                if start < end {
                    return String(decoding: UnsafeBufferPointer(rebasing: utf8[start..<min(end, start + 120)]), as: UTF8.self)
                }
                if start == 0 { return "" }
                end = start - 1
            }
        }
        return quick ?? String(subject.split(separator: "\n").last?.prefix(120) ?? "")
    }
}
