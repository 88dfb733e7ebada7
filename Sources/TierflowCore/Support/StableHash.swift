/// A 128-bit FNV-1a hash, stable across processes and runs, for deterministic ids.
///
/// Not cryptographic: it names things (query ids, message ids, cache keys) so that replays and
/// repeated events map to the same name.
public enum StableHash {
    /// 32 lower-case hex digits of the hash of `parts`, joined by a separator that cannot occur in UTF-8 text.
    public static func hex(_ parts: String...) -> String {
        hex(parts)
    }

    /// 32 lower-case hex digits of the hash of `parts`.
    public static func hex(_ parts: [String]) -> String {
        let (a, b) = state(parts)
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for (offset, value) in [(0, a), (16, b)] {
                for position in 0..<16 {
                    buffer[offset + position] = digits.utf8Start[Int(truncatingIfNeeded: value >> UInt64(60 - 4 * position)) & 0xF]
                }
            }
            return 32
        }
    }

    /// A number in [0, 1) from the hash of `parts`, for deterministic simulation and sampling: the first 13
    /// hex digits of `hex(parts)` (its top 52 bits), read without formatting them.
    public static func unit(_ parts: String...) -> Double {
        Double(state(parts).a >> 12) / Double(1 << 52)
    }

    /// The first 64 bits of the hash of `parts` (the first 16 hex digits of `hex(parts)`).
    public static func value(_ parts: String...) -> UInt64 {
        state(parts).a
    }

    /// The two 64-bit FNV-1a states after `parts`.
    private static func state(_ parts: [String]) -> (a: UInt64, b: UInt64) {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x8422_2325_cbf2_9ce4
        let prime: UInt64 = 0x0000_0100_0000_01B3
        for (index, part) in parts.enumerated() {
            if index > 0 {
                a = (a ^ 0xFF) &* prime
                b = (b ^ 0xFE) &* prime
            }
            for byte in part.utf8 {
                a = (a ^ UInt64(byte)) &* prime
                b = (b ^ UInt64(byte ^ 0x5A)) &* prime
            }
        }
        return (a, b)
    }
}
