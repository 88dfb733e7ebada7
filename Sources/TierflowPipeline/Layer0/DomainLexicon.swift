import Foundation

/// The domain terms Layer 0's guards compare: assets, components, failure modes, sensors, plant acronyms.
///
/// A term is the set of its content-word stems, generic words ("fault", "condition") left out, so
/// "rotor windings fault", "a fault in the rotor windings" and "rotor winding faults" are one term. Text is
/// matched in two passes per sentence: first contiguous phrases (longest first), then, for terms of two or
/// more words, the words in any order within a short window ("a dirty power turbine" for "power turbine
/// dirty"). A word belongs to at most one term.
public struct DomainLexicon: Sendable {
    struct Term: Sendable {
        /// Canonical name: the required stems, sorted.
        var concept: String
        var kind: String
        var required: [UInt64]
    }

    private(set) var terms: [Term] = []
    /// Order-independent hash of a required-stem set → term index.
    private var exact = HashedKeyTable<Int32>(minimumCapacity: 512)
    /// Stem → terms of two or more stems that need it.
    private var byStem = HashedKeyTable<[Int32]>(minimumCapacity: 512)
    private var maxWidth = 1
    /// Extra words a term may be spread over in the second pass.
    static let slack = 3

    /// The built-in lexicon (see `scripts/make_layer0_lexicon.py`).
    public static let standard = DomainLexicon(lines: builtInTermLines)

    /// Number of distinct terms.
    public var count: Int { terms.count }

    /// A lexicon from `kind<TAB>phrase` lines (blank lines and `#` comments are skipped).
    public init(lines: String) {
        for line in lines.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let parts = trimmed.split(separator: "\t", maxSplits: 1)
            if parts.count == 2 {
                add(kind: String(parts[0]), phrase: String(parts[1]))
            } else {
                add(kind: "term", phrase: trimmed)
            }
        }
    }

    /// Adds a phrase. "A/ B" phrases whose parts each have two or more words become one term per part.
    public mutating func add(kind: String, phrase: String) {
        let parts = phrase.split(separator: "/").map { Self.contentWords(String($0)) }
        if parts.count > 1, parts.allSatisfy({ $0.count >= 2 }) {
            for part in parts { addTerm(kind: kind, words: part) }
        } else {
            addTerm(kind: kind, words: Self.contentWords(phrase))
        }
    }

    private mutating func addTerm(kind: String, words: [[UInt8]]) {
        let stems = words.map(WordStemmer.stem)
        var required: [[UInt8]] = []
        for stem in stems where !WordStemmer.genericStems.contains(stem) && !required.contains(stem) { required.append(stem) }
        guard !required.isEmpty else { return }
        let hashes = required.map(WordStemmer.hash)
        let key = Self.setKey(hashes)
        guard exact[key] == nil else { return }
        let index = Int32(terms.count)
        let concept = required.map { String(decoding: $0, as: UTF8.self) }.sorted().joined(separator: " ")
        terms.append(Term(concept: concept, kind: kind, required: hashes.sorted()))
        exact[key] = index
        maxWidth = max(maxWidth, min(words.count, 12))
        if hashes.count >= 2 {
            for hash in hashes { byStem[hash] = (byStem[hash] ?? []) + [index] }
        }
        // "air flow" is also written "airflow".
        if words.count == 2, required.count == 2 {
            let joined = WordStemmer.stemHash(words[0] + words[1])
            if exact[Self.setKey([joined])] == nil { exact[Self.setKey([joined])] = index }
        }
    }

    /// The lower-cased content words of `phrase` (function and question words left out).
    static func contentWords(_ phrase: String) -> [[UInt8]] {
        TextScanner(phrase).segments.flatMap { $0 }.filter {
            !(WordStemmer.flags[$0.hash] ?? []).contains(.function) && !(WordStemmer.flags[$0.hash] ?? []).contains(.question)
        }.map(\.text)
    }

    // MARK: Matching

    /// One content word of a sentence, as the matcher sees it.
    struct Token {
        var stem: UInt64
        var generic: Bool
        /// Position in the caller's word list, reported back when the token is part of a term.
        var position: Int
    }

    /// The terms in one sentence's content tokens; `consumed` receives the positions of the words used.
    ///
    /// A one-word match of the first pass is soft: the second pass may take its word for a longer term
    /// ("blocked" is the term "blockage" alone, but "the burner is blocked" is "burner blocked").
    func match(_ tokens: [Token], into concepts: inout Set<Int32>, consumed: inout Set<Int>) {
        guard !tokens.isEmpty else { return }
        // A sentence has a handful of tokens and matches: short arrays searched linearly, no sets, and the
        // token offsets of every match in one shared array.
        var owner = [Int](repeating: -1, count: tokens.count)  // match index owning each token
        var offsets: [Int] = []
        offsets.reserveCapacity(tokens.count)
        var matches: [Match] = []
        // Pass 1: contiguous phrases, longest first.
        var start = 0
        while start < tokens.count {
            if let (term, width) = longestExactTerm(in: tokens, from: start) {
                for offset in start..<(start + width) { owner[offset] = matches.count }
                let soft = terms[Int(term)].required.count == 1
                matches.append(Match(term: term, offsets: offsets.count..<(offsets.count + width), soft: soft))
                offsets.append(contentsOf: start..<(start + width))
                start += width
            } else {
                start += 1
            }
        }
        // Pass 2: terms of two or more words, in any order within a window; soft words may be taken.
        var candidates: [Int32] = []
        for (offset, token) in tokens.enumerated() where owner[offset] < 0 || matches[owner[offset]].soft {
            if let list = byStem[token.stem] {
                for term in list where !candidates.contains(term) && !matches.contains(where: { $0.term == term }) {
                    candidates.append(term)
                }
            }
        }
        if candidates.count > 1 {
            let terms = self.terms
            candidates.sort { lhs, rhs in
                let (a, b) = (terms[Int(lhs)].required.count, terms[Int(rhs)].required.count)
                return a != b ? a > b : lhs < rhs
            }
        }
        for term in candidates {
            let found = window(for: terms[Int(term)].required, in: tokens, appendingTo: &offsets) { offset in
                owner[offset] < 0 || (matches[owner[offset]].soft && !matches[owner[offset]].dropped)
            }
            guard let found else { continue }
            for position in found where owner[offsets[position]] >= 0 {
                let previous = owner[offsets[position]]
                matches[previous].dropped = true
                for other in matches[previous].offsets where owner[offsets[other]] == previous { owner[offsets[other]] = -1 }
            }
            for position in found { owner[offsets[position]] = matches.count }
            matches.append(Match(term: term, offsets: found, soft: false))
        }
        for (index, match) in matches.enumerated() where !match.dropped {
            concepts.insert(match.term)
            for position in match.offsets where owner[offsets[position]] == index { consumed.insert(tokens[offsets[position]].position) }
        }
    }

    /// A term found in a sentence: its token offsets are `offsets` of the shared offset array.
    private struct Match {
        var term: Int32
        var offsets: Range<Int>
        /// A one-word term of the first pass, whose word a longer term of the second pass may take.
        var soft: Bool
        var dropped = false
    }

    /// The longest run of tokens from `start` whose non-generic stems (no repeats) are exactly a term's.
    private func longestExactTerm(in tokens: [Token], from start: Int) -> (Int32, Int)? {
        var best: (Int32, Int)?
        var key: UInt64 = 0
        var hasContent = false
        for width in 1...min(maxWidth, tokens.count - start) {
            let end = start + width - 1
            let token = tokens[end]
            if !token.generic {
                if tokens[start..<end].contains(where: { !$0.generic && $0.stem == token.stem }) { break }
                hasContent = true
                key &+= Self.mix(token.stem)
            }
            if hasContent, let term = exact[key] { best = (term, width) }
        }
        return best
    }

    /// Finds free tokens holding every stem of `required` within `required.count + slack` tokens: appends
    /// their offsets to `offsets` and returns where they are, or leaves `offsets` as it was and returns nil.
    private func window(
        for required: [UInt64], in tokens: [Token], appendingTo offsets: inout [Int], isFree: (Int) -> Bool
    ) -> Range<Int>? {
        let width = required.count + Self.slack
        let base = offsets.count
        for start in tokens.indices where required.contains(tokens[start].stem) && isFree(start) {
            for offset in start..<min(tokens.count, start + width) where isFree(offset) {
                let stem = tokens[offset].stem
                if required.contains(stem) && !offsets[base...].contains(where: { tokens[$0].stem == stem }) {
                    offsets.append(offset)
                }
            }
            if offsets.count - base == required.count { return base..<offsets.count }
            offsets.removeSubrange(base...)
        }
        return nil
    }

    /// The canonical name of term `index`.
    func concept(_ index: Int32) -> String { terms[Int(index)].concept }

    // MARK: Hashing

    /// A bijective scramble (splitmix64's finaliser), so sums of scrambled hashes make good set keys.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func setKey(_ hashes: [UInt64]) -> UInt64 {
        hashes.reduce(0) { $0 &+ mix($1) }
    }
}
