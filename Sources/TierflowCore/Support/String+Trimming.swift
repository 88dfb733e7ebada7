extension StringProtocol {
    /// The text without leading and trailing characters that match `predicate`.
    ///
    /// Pure Swift: on Linux, Foundation's `trimmingCharacters(in:)` and `contains(_:)` bridge through `NSString`,
    /// which showed up in per-message profiles of the stages.
    public func trimming(while predicate: (Character) -> Bool) -> String {
        guard let first, let last, predicate(first) || predicate(last) else { return String(self) }
        var trimmed = self[...]
        while let character = trimmed.first, predicate(character) { trimmed.removeFirst() }
        while let character = trimmed.last, predicate(character) { trimmed.removeLast() }
        return String(trimmed)
    }

    /// The text without leading and trailing white space (Unicode White_Space, line breaks included).
    public func trimmingWhitespace() -> String {
        trimming(while: \.isWhitespace)
    }

    /// Whether the UTF-8 bytes of `needle` occur in the text (a byte search; no Unicode normalisation).
    public func containsBytes(of needle: String) -> Bool {
        var haystack = String(self)
        var needle = needle
        return haystack.withUTF8 { haystack in needle.withUTF8 { ByteSearch.contains(haystack, $0) } }
    }
}
