/// Light English stemming and the word classes Layer 0 uses (function words, negation cues, generic words).
///
/// Deliberately simple and deterministic: it only has to map the forms a paraphrase uses ("fouled",
/// "fouling", "foul"; "misaligned", "misalignment") to one stem, the same way on both sides of a match.
enum WordStemmer {
    private static let suffixes: [[UInt8]] = [
        "ements", "ement", "ments", "ment", "ations", "ation", "ating", "ates", "ated", "ate", "ings", "ing", "edly", "ies",
        "ed", "es", "s", "e",
    ].map { Array($0.utf8) }
    private static let ies = Array("ies".utf8)

    /// Spelling variants and near-synonyms, after stemming (e.g. "imbalance" and "unbalance").
    private static let synonyms: [[UInt8]: [UInt8]] = {
        let pairs = [
            ("imbalanc", "unbalanc"), ("temparatur", "temperatur"), ("compresor", "compressor"),
            ("dielecric", "dielectric"), ("blockag", "block"), ("leakag", "leak"), ("malfunction", "fault"), ("issu", "fault"),
            ("problem", "fault"), ("defect", "fault"), ("failur", "fault"), ("fail", "fault"),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) })
    }()

    private static let synonymHashes: HashedKeyTable<UInt64> = {
        var table = HashedKeyTable<UInt64>(minimumCapacity: synonyms.count)
        for (from, to) in synonyms { table[hash(from)] = hash(to) }
        return table
    }()

    /// The stem of a lower-case word.
    static func stem(_ word: [UInt8]) -> [UInt8] {
        let (length, y) = stemShape(word)
        var stem = Array(word[0..<length])
        if y { stem.append(UInt8(ascii: "y")) }
        return synonyms[stem] ?? stem
    }

    /// `hash(stem(word))`, without allocating.
    static func stemHash(_ word: ArraySlice<UInt8>) -> UInt64 {
        stemHash(Array(word))
    }

    /// `hash(stem(word))`, without allocating.
    static func stemHash(_ word: [UInt8]) -> UInt64 {
        let (length, y) = stemShape(word)
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in 0..<length { value = (value ^ UInt64(word[index])) &* 0x0000_0100_0000_01B3 }
        if y { value = (value ^ UInt64(UInt8(ascii: "y"))) &* 0x0000_0100_0000_01B3 }
        return synonymHashes[value] ?? value
    }

    /// How much of `word` its stem keeps, and whether a "y" follows ("ies" → "y").
    private static func stemShape(_ word: [UInt8]) -> (Int, Bool) {
        var length = word.count
        var y = false
        for suffix in suffixes where length - suffix.count >= 3 && word.ends(with: suffix) {
            length -= suffix.count
            y = suffix == ies
            break
        }
        if !y, length > 4, word[length - 1] == word[length - 2], word[length - 1] != UInt8(ascii: "l"),
            word[length - 1] != UInt8(ascii: "s")
        {
            length -= 1
        }
        return (length, y)
    }

    /// FNV-1a 64 of `bytes`.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return value
    }

    /// What a word is, by the hash of its lower-case spelling.
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt16
        static let function = Flags(rawValue: 1)
        static let question = Flags(rawValue: 2)
        static let negation = Flags(rawValue: 4)
        static let negationLead = Flags(rawValue: 8)
        static let negationTail = Flags(rawValue: 16)
        static let abnormal = Flags(rawValue: 32)
        static let up = Flags(rawValue: 64)
        static let down = Flags(rawValue: 128)
        static let notOrOutside = Flags(rawValue: 256)
        static let withinInOf = Flags(rawValue: 512)
        static let the = Flags(rawValue: 1024)
        static let normal = Flags(rawValue: 2048)
        static let range = Flags(rawValue: 4096)
    }

    static let flags: HashedKeyTable<Flags> = {
        var table = HashedKeyTable<Flags>(minimumCapacity: 256)
        func mark(_ words: Set<[UInt8]>, _ flag: Flags) {
            for word in words { table[hash(word)] = (table[hash(word)] ?? []).union(flag) }
        }
        mark(functionWords, .function)
        mark(questionWords, .question)
        mark(negationWords, .negation)
        mark(Set(negationPairs.keys), .negationLead)
        mark(negationPairs.values.reduce(Set<[UInt8]>()) { $0.union($1) }, .negationTail)
        mark(abnormalWords, .abnormal)
        mark(words("high higher hi hh increase increased increases increasing rise rises rising rose above"), .up)
        mark(words("low lower lo ll decrease decreased decreases decreasing fall falls falling fell drop drops dropped dropping below"), .down)
        mark(words("not outside"), .notOrOutside)
        mark(words("within in of"), .withinInOf)
        mark(words("the"), .the)
        mark(words("normal acceptable expected usual"), .normal)
        mark(words("range ranges parameters limits limit levels values bounds band"), .range)
        return table
    }()

    /// Words that carry no content: skipped by the lexicon and by the similarity score.
    static let functionWords: Set<[UInt8]> = words(
        """
        a an the of in on at for to from by with and or eg ie is are was were be been being its it this that these those
        which what when where who whom whose if as into than then there their such any some given provided available
        choices choice options option among out following has have had do does did should would could can will may
        might most more very i we you my our your me us
        """)

    /// Question words kept by the similarity score (they change what is asked) but not by the lexicon.
    static let questionWords: Set<[UInt8]> = words("how why")

    /// Stems that only say "something is wrong" and so never decide a failure-mode term on their own.
    static let genericStems: Set<[UInt8]> = words("fault condit event sensor")

    /// Words that turn a question around (no/not/without, "least", "irrelevant", "excluded", ...).
    static let negationWords: Set<[UInt8]> = words(
        """
        not no never without none nor neither cannot least irrelevant unrelated unimportant insignificant negligible
        ineffective unnecessary inappropriate unable inapplicable unhelpful unsuitable useless exclude excluded excluding
        disregard disregarded ignore ignored unlikely non nonrelevant weakest lowest worst poorest fewest
        """)

    /// First words of two-word negation cues ("ruled out", "little significance").
    static let negationPairs: [[UInt8]: Set<[UInt8]>] = [
        Array("rule".utf8): words("out"), Array("ruled".utf8): words("out"), Array("ruling".utf8): words("out"),
        Array("little".utf8): words("significance importance relevance consequence value"),
        Array("minimal".utf8): words("significance importance relevance consequence value"),
    ]

    /// Words that mean "abnormal" on their own.
    static let abnormalWords: Set<[UInt8]> = words("unusual irregular anomalous atypical abnormally")

    static func words(_ text: String) -> Set<[UInt8]> {
        Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Array($0.utf8) })
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        guard count >= suffix.count else { return false }
        var index = count - suffix.count
        for byte in suffix {
            if self[index] != byte { return false }
            index += 1
        }
        return true
    }
}
