import Foundation

/// Features computed in-process, with no network and no model files: hashed word unigrams and bigrams,
/// hashed character n-grams and structural facts (length, numbers and units, code, question form, and
/// for SCADA events severity, alarm type and fault-code family).
///
/// Each of the three blocks gets sublinear term frequencies (`1 + ln count`) and is scaled to the norm
/// its weight gives, so the blocks' shares of the vector are fixed whatever the text's length.
/// Character n-grams are taken from the first ``Options/maxCharBytes`` bytes only, which bounds the
/// cost of very long prompts.
public struct HashedFeaturizer: LocalQueryFeaturizer {
    /// The featuriser's settings; stored with a model.
    public struct Options: Codable, Sendable, Hashable {
        /// The hash space has `2^hashBits` positions.
        public var hashBits: Int
        /// Norm of the word block (unigrams and, if on, bigrams).
        public var wordWeight: Float
        /// Whether adjacent word pairs are features too.
        public var bigrams: Bool
        /// Norm of the character n-gram block (0 turns it off).
        public var charWeight: Float
        /// Shortest and longest character n-gram.
        public var charMin: Int
        public var charMax: Int
        /// Character n-grams come from at most this many leading bytes of the normalised text.
        public var maxCharBytes: Int
        /// Norm of the structural block (0 turns it off).
        public var structureWeight: Float
        /// Whether training learns inverse document frequencies to weigh features by (TF-IDF).
        public var idf: Bool

        public init(
            hashBits: Int = 18, wordWeight: Float = 1, bigrams: Bool = true, charWeight: Float = 0,
            charMin: Int = 3, charMax: Int = 5, maxCharBytes: Int = 2048, structureWeight: Float = 0.3,
            idf: Bool = true
        ) {
            self.hashBits = hashBits
            self.wordWeight = wordWeight
            self.bigrams = bigrams
            self.charWeight = charWeight
            self.charMin = charMin
            self.charMax = charMax
            self.maxCharBytes = maxCharBytes
            self.structureWeight = structureWeight
            self.idf = idf
        }

        enum CodingKeys: String, CodingKey {
            case hashBits = "hash_bits", wordWeight = "word_weight", bigrams, charWeight = "char_weight"
            case charMin = "char_min", charMax = "char_max", maxCharBytes = "max_char_bytes"
            case structureWeight = "structure_weight", idf
        }

        /// Why these options cannot work, or nil.
        public var problem: String? {
            if !(8...24).contains(hashBits) { return "hash_bits must be in 8...24, got \(hashBits)" }
            if !(1...8).contains(charMin) || charMax < charMin || charMax > 8 {
                return "character n-grams must satisfy 1 ≤ char_min ≤ char_max ≤ 8, got \(charMin)...\(charMax)"
            }
            if maxCharBytes < 0 { return "max_char_bytes must not be negative" }
            if [wordWeight, charWeight, structureWeight].contains(where: { !$0.isFinite || $0 < 0 }) {
                return "block weights must be finite and not negative"
            }
            return nil
        }
    }

    public let options: Options
    /// Learned inverse document frequencies (nil: every feature weighs 1).
    public let idf: IDFTable?
    private let shift: UInt64

    /// A featuriser with `options` (valid, see ``Options/problem``) and, if learned, `idf` of its dimension.
    public init(options: Options = Options(), idf: IDFTable? = nil) {
        precondition(options.problem == nil, options.problem ?? "")
        precondition(idf == nil || idf?.values.count == 1 << options.hashBits, "one idf per position")
        self.options = options
        self.idf = idf
        shift = UInt64(64 - options.hashBits)
    }

    public var spec: FeaturizerSpec { .hashed(options, idf: idf) }
    public var dimension: Int { 1 << options.hashBits }

    public func features(of query: RouterQuery) -> FeatureVector {
        let blocks = self.blocks(of: query)
        var indices: [Int32] = []
        var values: [Float] = []
        let expected = blocks.words.distinct + (blocks.chars?.distinct ?? 0) + (blocks.structure?.distinct ?? 0)
        indices.reserveCapacity(expected)
        values.reserveCapacity(expected)
        let weights = idf?.values
        blocks.words.append(to: &indices, &values, scale: options.wordWeight, idf: weights)
        blocks.chars?.append(to: &indices, &values, scale: options.charWeight, idf: weights)
        blocks.structure?.append(to: &indices, &values, scale: options.structureWeight, idf: nil)
        return FeatureVector(indices: indices, values: values)
    }

    /// The three blocks' raw counts (nil for blocks with weight 0); the structure block takes no idf.
    func blocks(of query: RouterQuery) -> (words: FeatureAccumulator, chars: FeatureAccumulator?, structure: FeatureAccumulator?) {
        var text = query.text
        let scan = text.withUTF8 { bytes in scanWords(bytes) }
        let chars = options.charWeight > 0 ? text.withUTF8 { bytes in charNGrams(bytes) } : nil
        let structure = options.structureWeight > 0 ? self.structure(of: query, scan: scan.stats) : nil
        return (scan.words, chars, structure)
    }

    /// The position of a hashed feature.
    @inline(__always)
    func index(_ hash: UInt64, _ space: FeatureHash.Space) -> UInt32 {
        UInt32(truncatingIfNeeded: FeatureHash.mix(hash, space) >> shift)
    }
}
