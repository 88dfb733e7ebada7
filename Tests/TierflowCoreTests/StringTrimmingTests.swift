import Foundation
import Testing
import TierflowCore

@Suite("String trimming and byte search without NSString")
struct StringTrimmingTests {
    @Test(arguments: ["  answer \n", "\t\r\nanswer", "answer", "\u{00A0}answer\u{2003}", "", " \n ", "a b", "é ", " 🚀"])
    func trimmingMatchesFoundation(_ text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
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
