import Foundation
import Testing

@testable import TierflowPipeline

@Suite("Confidence scorer text handling")
struct ConfidenceScorerTextTests {
    @Test(arguments: ["  answer \n", "\t\r\nanswer", "answer", "\u{00A0}answer\u{2003}", "", " \n ", "a b"])
    func trimmingMatchesFoundation(_ text: String) {
        #expect(ConfidenceScorer.trimmingWhitespace(text) == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
