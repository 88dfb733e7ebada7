/// Byte phrases to look for in a text, found in one pass over it: a table says which phrases start with each
/// byte, and a candidate is compared only when its second byte matches too. Searching for each phrase on its
/// own passed over the text once per phrase.
struct PhraseSet: Sendable {
    /// The phrases, concatenated, ordered by first byte.
    private let bytes: [UInt8]
    /// Where each phrase starts in `bytes`, and one more entry for the end of the last.
    private let bounds: [Int]
    /// Each phrase's second byte, or 0x100 when it has none.
    private let seconds: [UInt16]
    /// For each first byte, the range of phrase indices that start with it (empty for most bytes).
    private let byFirstByte: [Range<Int>]
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
    }

    /// How many of the phrases occur in `text` (each counted once, however often it occurs).
    func countOccurring(in text: UnsafeBufferPointer<UInt8>) -> Int {
        var found = [Bool](repeating: false, count: seconds.count)
        var total = emptyPhrases
        for position in 0..<text.count {
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
