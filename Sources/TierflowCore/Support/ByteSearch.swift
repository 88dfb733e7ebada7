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
        while let position = firstIndex(of: pattern.pointee, in: haystack, from: offset, to: last + 1) {
            if memcmp(base + position, pattern, needle.count) == 0 { return true }
            offset = position + 1
        }
        return false
    }

    /// The index of the first `byte` in `bytes[start..<end]` (`memchr`), or nil.
    public static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0, to end: Int? = nil) -> Int? {
        let end = end ?? bytes.count
        guard start < end, let base = bytes.baseAddress else { return nil }
        guard let hit = memchr(base + start, Int32(byte), end - start) else { return nil }
        return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
    }

    /// The index of the first byte at or after `start` that is not ASCII (`bytes.count` when there is none),
    /// reading eight bytes at a time.
    public static func endOfASCII(in bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int {
        var index = start
        if let raw = UnsafeRawPointer(bytes.baseAddress) {
            while index + 8 <= bytes.count, raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
            }
        }
        while index < bytes.count, bytes[index] < 0x80 { index += 1 }
        return index
    }

    /// The index of the first `byte` in `bytes` (`memchr`), or nil.
    public static func firstIndex(of byte: UInt8, in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstIndex(of: byte, in: $0) }
    }
}
