import Foundation
import Testing
import TierflowCore

@Suite("String trimming and byte search without NSString")
struct StringTrimmingTests {
    @Test(arguments: ["  answer \n", "\t\r\nanswer", "answer", "\u{00A0}answer\u{2003}", "", " \n ", "a b", "é ", " 🚀"])
    func trimmingMatchesFoundation(_ text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func theASCIIShortcutTrimsAsCharactersWould() {
        var random = SeededRandom(seed: 33)
        let pieces = ["a", "Z9", " ", "\t", "\n", "\r\n", "\u{0B}", "\u{1F}", "\u{85}", "\u{A0}", "\u{2003}", "\u{0600}", "\u{301}", "é", "🚀", "."]
        for _ in 0..<5000 {
            let text = (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let expected = text.trimming(while: \.isWhitespace)
            #expect(Array(text.trimmingWhitespace().unicodeScalars) == Array(expected.unicodeScalars), "\(text.debugDescription)")
            let inner = text.dropFirst()
            #expect(Array(inner.trimmingWhitespace().unicodeScalars) == Array(inner.trimming(while: \.isWhitespace).unicodeScalars))
        }
    }

    @Test func trimmingByPredicate() {
        #expect("?? why. !".trimming { "?!. ".contains($0) } == "why")
        #expect("...".trimming { $0 == "." } == "")
    }

    @Test(arguments: [("def f():", "def ", true), ("```swift", "```", true), ("plain text", "{", false), ("", "", true), ("é", "é", true), ("abc", "abcd", false)])
    func byteSearch(_ text: String, _ needle: String, _ expected: Bool) {
        #expect(text.containsBytes(of: needle) == expected)
    }
}
