import Foundation

/// Entries grouped by the blocking key of their guards, with their similarity vectors.
///
/// A lookup touches one group: the entries whose guards hash like the query's. Small groups are scored
/// in full; a group larger than ``invertedThreshold`` keeps an inverted index from feature to members and
/// scores only members sharing the query's rarest features (at most ``maxScored`` of them).
struct SemanticIndex: Sendable {
    /// An entry ready to be indexed: analysed once, outside any lock.
    struct Item: Sendable {
        var entry: KnowledgeEntry
        var key: Layer0GuardKey
        var vector: SparseVector
        var assetIds: [String]
    }

    private struct Group: Sendable {
        var members: [Int32] = []
        var postings: [UInt32: [Int32]]?
    }

    static let invertedThreshold = 128
    static let maxScored = 64
    /// Rarest query features whose postings a large group reads.
    static let probeFeatures = 6

    // One slot per entry, in parallel arrays: a lookup reads only the compact ones (no string copies).
    private var entriesBySlot: [KnowledgeEntry?] = []
    private var vectors: [SparseVector] = []
    private var keys: [Layer0GuardKey] = []
    /// `validUntil` as seconds since the reference date (+infinity when it never expires).
    private var expiries: [Double] = []
    private var assetIds: [[String]] = []
    private var isCache: [Bool] = []
    private var free: [Int32] = []
    private var slotByKey: [String: Int32] = [:]
    private var groups: [Layer0GuardKey: Group] = [:]

    /// Number of entries.
    var count: Int { slotByKey.count }

    /// Adds `item`, replacing the entry with the same key.
    mutating func insert(_ item: Item) {
        remove(key: item.entry.key)
        let expiry = item.entry.validUntil?.timeIntervalSinceReferenceDate ?? .infinity
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            let index = Int(slot)
            entriesBySlot[index] = item.entry
            vectors[index] = item.vector
            keys[index] = item.key
            expiries[index] = expiry
            assetIds[index] = item.assetIds
            isCache[index] = item.entry.isCache
        } else {
            slot = Int32(entriesBySlot.count)
            entriesBySlot.append(item.entry)
            vectors.append(item.vector)
            keys.append(item.key)
            expiries.append(expiry)
            assetIds.append(item.assetIds)
            isCache.append(item.entry.isCache)
        }
        slotByKey[item.entry.key] = slot
        var group = groups.removeValue(forKey: item.key) ?? Group()
        group.members.append(slot)
        if group.postings != nil {
            for feature in item.vector.featureList { group.postings![feature, default: []].append(slot) }
        } else if group.members.count > Self.invertedThreshold {
            group.postings = buildPostings(group.members)
        }
        groups[item.key] = group
    }

    /// Removes the entry with `key`; false when there is none.
    @discardableResult
    mutating func remove(key: String) -> Bool {
        guard let slot = slotByKey.removeValue(forKey: key) else { return false }
        let index = Int(slot)
        let groupKey = keys[index]
        let features = vectors[index].featureList
        entriesBySlot[index] = nil
        vectors[index] = .empty
        assetIds[index] = []
        free.append(slot)
        if var group = groups.removeValue(forKey: groupKey) {
            if let position = group.members.firstIndex(of: slot) { group.members.remove(at: position) }
            if group.postings != nil {
                for feature in features {
                    group.postings![feature]?.removeAll { $0 == slot }
                    if group.postings![feature]?.isEmpty == true { group.postings![feature] = nil }
                }
            }
            if !group.members.isEmpty { groups[groupKey] = group }
        }
        return true
    }

    /// The entry with `key`.
    func entry(forKey key: String) -> KnowledgeEntry? {
        slotByKey[key].flatMap { entriesBySlot[Int($0)] }
    }

    /// Every entry, in no particular order.
    var entries: [KnowledgeEntry] { entriesBySlot.compactMap { $0 } }

    /// Entries that share `probe`'s blocking key, pass the asset-id guard, are valid at `now` and may be
    /// served to it, with their similarity; best first, at most `limit`.
    func candidates(for probe: Layer0Probe, now: Date, limit: Int) -> [Layer0Candidate] {
        guard limit > 0, let group = groups[probe.signature.key] else { return [] }
        let time = now.timeIntervalSinceReferenceDate
        let queryAssets = probe.signature.guards.assetIds
        let vector = probe.signature.vector
        var best: [(score: Double, slot: Int32)] = []  // sorted best first, at most `limit`
        func consider(_ slot: Int32) {
            let index = Int(slot)
            guard expiries[index] > time else { return }
            if !assetIds[index].isEmpty && assetIds[index] != queryAssets { return }
            if isCache[index] && probe.hasSystemPrompt { return }
            let score = vector.cosine(vectors[index])
            if best.count == limit, let last = best.last, last.score >= score { return }
            var position = best.count
            while position > 0
                && (best[position - 1].score < score
                    || (best[position - 1].score == score && entriesBySlot[Int(best[position - 1].slot)]!.key > entriesBySlot[index]!.key))
            {
                position -= 1
            }
            best.insert((score, slot), at: position)
            if best.count > limit { best.removeLast() }
        }
        if let postings = group.postings {
            for slot in rareFeatureMembers(vector, postings: postings) { consider(slot) }
        } else {
            for slot in group.members { consider(slot) }
        }
        return best.compactMap { pair in entriesBySlot[Int(pair.slot)].map { Layer0Candidate(entry: $0, score: pair.score) } }
    }

    /// Members holding the query's rarest features: those that share the most of them first, at most
    /// ``maxScored``. (Approximate: a member sharing none of them is not scored, which can only cost a hit.)
    private func rareFeatureMembers(_ vector: SparseVector, postings: [UInt32: [Int32]]) -> [Int32] {
        let lists = vector.featureList.compactMap { postings[$0] }.sorted { $0.count < $1.count }.prefix(Self.probeFeatures)
        var counts = [UInt8](repeating: 0, count: entriesBySlot.count)
        var touched: [Int32] = []
        for list in lists {
            for slot in list {
                if counts[Int(slot)] == 0 { touched.append(slot) }
                counts[Int(slot)] &+= 1
            }
        }
        guard touched.count > Self.maxScored else { return touched }
        var byCount = [[Int32]](repeating: [], count: Self.probeFeatures + 1)
        for slot in touched { byCount[Int(counts[Int(slot)])].append(slot) }
        var result: [Int32] = []
        result.reserveCapacity(Self.maxScored)
        for count in stride(from: Self.probeFeatures, through: 1, by: -1) {
            for slot in byCount[count] {
                result.append(slot)
                if result.count == Self.maxScored { return result }
            }
        }
        return result
    }

    private func buildPostings(_ members: [Int32]) -> [UInt32: [Int32]] {
        var postings: [UInt32: [Int32]] = [:]
        for slot in members {
            for feature in vectors[Int(slot)].featureList { postings[feature, default: []].append(slot) }
        }
        return postings
    }
}

/// An entry that passed every guard, with the similarity of its question to the query.
public struct Layer0Candidate: Sendable, Hashable {
    public var entry: KnowledgeEntry
    /// Cosine similarity in [0, 1].
    public var score: Double

    public init(entry: KnowledgeEntry, score: Double) {
        self.entry = entry
        self.score = score
    }
}
