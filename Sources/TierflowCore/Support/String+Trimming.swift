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
    ///
    /// Text whose first and last bytes are ASCII and not white space is returned as it is, without finding its
    /// first and last `Character`s: a `Character` is white space by its first scalar, and an ASCII byte at either
    /// end is that scalar (at the end, it can only follow a Prepend mark, which is not white space either).
    public func trimmingWhitespace() -> String {
        let text = String(self)
        if let first = text.utf8.first, let last = text.utf8.last, !Self.mayBeWhitespace(first), !Self.mayBeWhitespace(last) {
            return text
        }
        return text.trimming(while: \.isWhitespace)
    }

    /// A byte that is ASCII white space (tab to carriage return, space) or part of a non-ASCII scalar.
    private static func mayBeWhitespace(_ byte: UInt8) -> Bool {
        byte >= 0x80 || byte == UInt8(ascii: " ") || (0x09...0x0D).contains(byte)
    }

    /// Whether the UTF-8 bytes of `needle` occur in the text (a byte search; no Unicode normalisation).
    public func containsBytes(of needle: String) -> Bool {
        var haystack = String(self)
        var needle = needle
        return haystack.withUTF8 { haystack in needle.withUTF8 { ByteSearch.contains(haystack, $0) } }
    }
}
