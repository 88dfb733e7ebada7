/// The hashing behind ``HashedFeaturizer``: FNV-1a over bytes, finished with a 64-bit mixer.
///
/// Stable across processes, platforms and releases: a model's weights are only meaningful with the
/// exact hash they were trained with, so this must never change for a given model format.
enum FeatureHash {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Namespaces, so a word, an n-gram and a structural token with the same bytes differ.
    enum Space: UInt64 {
        case word = 0x57
        case bigram = 0x42
        case char = 0x43
        case structure = 0x53
    }

    /// One FNV-1a step.
    @inline(__always)
    static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* prime
    }

    /// The FNV-1a hash of `text`'s UTF-8 bytes.
    static func bytes(_ text: String) -> UInt64 {
        var hash = offset
        for byte in text.utf8 { hash = step(hash, byte) }
        return hash
    }

    /// A well-mixed 64-bit value from `hash` in namespace `space` (splitmix64's finaliser).
    @inline(__always)
    static func mix(_ hash: UInt64, _ space: Space) -> UInt64 {
        var z = hash ^ (space.rawValue &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The hash of the pair (first, second), for bigrams.
    @inline(__always)
    static func pair(_ first: UInt64, _ second: UInt64) -> UInt64 {
        (first &* 0x9E37_79B9_7F4A_7C15) ^ (second &+ 0x632B_E59B_D9B4_E019)
    }
}
