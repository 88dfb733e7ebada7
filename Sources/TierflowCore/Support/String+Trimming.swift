#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        return haystack.withUTF8 { haystack in
            needle.withUTF8 { needle in
                guard !needle.isEmpty else { return true }
                guard haystack.count >= needle.count, let base = haystack.baseAddress, let pattern = needle.baseAddress else {
                    return false
                }
                // memchr for the first byte, memcmp for the rest (memmem is a GNU extension Glibc's module hides).
                var offset = 0
                let last = haystack.count - needle.count
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(pattern.pointee), last - offset + 1) else { return false }
                    let position = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                    if memcmp(base + position, pattern, needle.count) == 0 { return true }
                    offset = position + 1
                }
                return false
            }
        }
    }
}
