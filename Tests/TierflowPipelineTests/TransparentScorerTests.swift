import Testing

@testable import TierflowPipeline

@Suite("Transparent scorer")
struct TransparentScorerTests {
    /// The byte-wise word count for ASCII text agrees with the Unicode one on every text.
    @Test func asciiWordCountsAgreeWithUnicodeWordCounts() {
        let pieces = Array(TransparentScorer.reasoningWords) + [
            "Why", "EXPLAIN", "Root-Cause", "42", "4-20mA", "P-101", "-", "--", "x", " ", "  ", "\r\n", "\n", "\t", ".", ",",
            "?", "{", "```", "_", "é", "trade-offs", "3rd", "TE-104",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...30, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let expected = TransparentScorer.wordCounts(text)
            guard let counts = TransparentScorer.asciiWordCounts(text) else {
                #expect(text.utf8.contains { $0 >= 0x80 }, "nil for ASCII text: \(text.debugDescription)")
                continue
            }
            #expect(counts == expected, "\(text.debugDescription)")
        }
    }

    @Test func textWithNonASCIIIsCountedByUnicodeProperties() {
        #expect(TransparentScorer.asciiWordCounts("Druck über Grenzwert") == nil)
        #expect(TransparentScorer.wordCounts("Druck über Grenzwert, warum?") == (4, 0, 0))
        #expect(TransparentScorer.asciiWordCounts("Why does P-101 trip at 4 bar? Explain the root cause.")! == (11, 4, 1))
    }
}
