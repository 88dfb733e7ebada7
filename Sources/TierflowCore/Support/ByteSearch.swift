#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Substring search over raw bytes, for the hot paths that look for ASCII phrases in UTF-8 text.
public enum ByteSearch {
    /// Whether `needle` occurs in `haystack` (an empty needle always does): `memchr` finds each candidate
    /// first byte, `memcmp` checks the rest (`memmem` is a GNU extension Glibc's module hides).
    public static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count, let base = haystack.baseAddress, let pattern = needle.baseAddress else {
            return false
        }
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
