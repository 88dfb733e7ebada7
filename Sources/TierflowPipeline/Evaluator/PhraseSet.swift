/// Byte phrases to look for in a text, found in one pass over it: a bitmap of the phrases' first two bytes
/// passes over most positions at a glance, a table says which phrases start with a byte, and a candidate is
/// compared only when its second byte matches too. Searching for each phrase on its own passed over the text
/// once per phrase.
struct PhraseSet: Sendable {
    /// The phrases, concatenated, ordered by first byte.
    private let bytes: [UInt8]
    /// Where each phrase starts in `bytes`, and one more entry for the end of the last.
    private let bounds: [Int]
    /// Each phrase's second byte, or 0x100 when it has none.
    private let seconds: [UInt16]
    /// For each first byte, the range of phrase indices that start with it (empty for most bytes).
    private let byFirstByte: [Range<Int>]
    /// One bit for each pair of bytes a phrase starts with (every pair after the byte of a one-byte phrase).
    private let startPairs: [UInt64]
    /// Empty phrases occur in every text.
    private let emptyPhrases: Int

    init(_ phrases: [[UInt8]]) {
        let ordered = phrases.filter { !$0.isEmpty }.sorted { $0[0] < $1[0] }
        emptyPhrases = phrases.count - ordered.count
        bytes = ordered.flatMap { $0 }
        var bounds = [0]
        for phrase in ordered { bounds.append(bounds[bounds.count - 1] + phrase.count) }
        self.bounds = bounds
        seconds = ordered.map { $0.count > 1 ? UInt16($0[1]) : 0x100 }
        byFirstByte = (0...255).map { byte in
            let first = ordered.firstIndex { $0[0] == byte } ?? ordered.count
            let end = ordered.lastIndex { $0[0] == byte }.map { $0 + 1 } ?? first
            return first..<end
        }
        var pairs = [UInt64](repeating: 0, count: 65536 / 64)
        for phrase in ordered {
            for second in phrase.count > 1 ? Int(phrase[1])...Int(phrase[1]) : 0...255 {
                let pair = Int(phrase[0]) << 8 | second
                pairs[pair >> 6] |= 1 << UInt64(pair & 63)
            }
        }
        startPairs = pairs
    }

    /// How many of the phrases occur in `text` (each counted once, however often it occurs).
    func countOccurring(in text: UnsafeBufferPointer<UInt8>) -> Int {
        var found = [Bool](repeating: false, count: seconds.count)
        var total = emptyPhrases
        for position in 0..<text.count {
            if position + 1 < text.count {
                let pair = Int(text[position]) << 8 | Int(text[position + 1])
                guard startPairs[pair >> 6] & (1 << UInt64(pair & 63)) != 0 else { continue }
            }
            let candidates = byFirstByte[Int(text[position])]
            guard !candidates.isEmpty else { continue }
            let second = position + 1 < text.count ? UInt16(text[position + 1]) : 0x200
            for phrase in candidates where !found[phrase] && (seconds[phrase] == second || seconds[phrase] == 0x100) {
                let length = bounds[phrase + 1] - bounds[phrase]
                guard position + length <= text.count else { continue }
                var offset = 2
                while offset < length, text[position + offset] == bytes[bounds[phrase] + offset] { offset += 1 }
                if offset >= length {
                    found[phrase] = true
                    total += 1
                }
            }
        }
        return total
    }
}
