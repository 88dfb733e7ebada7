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
        return hex64(a) + hex64(b)
    }

    /// A double in [0, 1) derived from `parts`, for deterministic simulation and sampling.
    public static func unit(_ parts: String...) -> Double {
        let text = hex(parts)
        let value = UInt64(text.prefix(13), radix: 16) ?? 0
        return Double(value) / Double(1 << 52)
    }

    private static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
