/// Whether a new diagnosis says something different from the one a line carried before.
///
/// Free-text answers never equal the short labels exports carry ("Oil Analysis", "M013"), so the test is
/// lenient: unchanged when the previous text (normalised: lower case, letters and digits) appears in the
/// new answer, or when at least half of the previous diagnosis's words (3+ letters) appear in it.
public enum DiagnosisComparison {
    public static func changed(previous: String, answer: String) -> Bool {
        let before = words(previous)
        guard !before.isEmpty else { return false }
        let after = words(answer)
        if contains(after, before) { return false }
        let significant = Set(before.filter { $0.count >= 3 })
        guard !significant.isEmpty else { return true }
        let shared = significant.intersection(after).count
        return Double(shared) / Double(significant.count) < 0.5
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static func contains(_ haystack: [String], _ needle: [String]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            return true
        }
        return false
    }
}
