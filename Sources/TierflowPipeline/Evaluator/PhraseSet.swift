#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TierflowCore

/// Byte phrases to look for in a text, grouped by their first byte: one `memchr` pass per distinct first byte
/// finds them all, where searching for each phrase on its own passed over the text once per phrase.
struct PhraseSet: Sendable {
    private struct Group: Sendable {
        var first: UInt8
        var phrases: [[UInt8]]
        /// Each phrase's second byte, or 0x100 when it has none: most candidates fail on it, cheaply.
        var seconds: [UInt16] = []
    }

    private let groups: [Group]

    /// The phrases as given, at most 64 sharing a first byte; an empty phrase occurs in every text.
    init(_ phrases: [[UInt8]]) {
        var groups: [Group] = []
        for phrase in phrases {
            let first = phrase.first ?? 0
            if let index = groups.firstIndex(where: { $0.first == first }) {
                groups[index].phrases.append(phrase)
            } else {
                groups.append(Group(first: first, phrases: [phrase]))
            }
        }
        precondition(groups.allSatisfy { $0.phrases.count <= 64 }, "at most 64 phrases per first byte")
        for index in groups.indices {
            groups[index].seconds = groups[index].phrases.map { $0.count > 1 ? UInt16($0[1]) : 0x100 }
        }
        self.groups = groups
    }

    /// How many of the phrases occur in `text` (each counted once, however often it occurs).
    func countOccurring(in text: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = text.baseAddress else { return groups.reduce(0) { $0 + $1.phrases.filter(\.isEmpty).count } }
        var total = 0
        for group in groups {
            var found: UInt64 = 0
            for (index, phrase) in group.phrases.enumerated() where phrase.isEmpty { found |= 1 << index }
            let all: UInt64 = group.phrases.count == 64 ? .max : (1 << group.phrases.count) - 1
            var offset = 0
            group.seconds.withUnsafeBufferPointer { seconds in
                while found != all, let position = ByteSearch.firstIndex(of: group.first, in: text, from: offset) {
                    let second = position + 1 < text.count ? UInt16(text[position + 1]) : 0x200
                    for index in 0..<seconds.count where found & (1 << index) == 0 && (seconds[index] == second || seconds[index] == 0x100) {
                        let phrase = group.phrases[index]
                        guard position + phrase.count <= text.count else { continue }
                        let equal = phrase.withUnsafeBufferPointer { memcmp(base + position, $0.baseAddress!, phrase.count) == 0 }
                        if equal { found |= 1 << index }
                    }
                    offset = position + 1
                }
            }
            total += found.nonzeroBitCount
        }
        return total
    }
}
