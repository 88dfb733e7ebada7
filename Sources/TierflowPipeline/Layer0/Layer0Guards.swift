/// What Layer 0's guards compare between a query and an entry. An entry may answer a query only when
/// every guard agrees, whatever the similarity of their texts:
/// - identifiers (fault codes, PLC tags, unknown acronyms), numbers with units, domain terms (asset,
///   component, failure mode, sensor), direction words (high/low) and negation must be the same on both sides;
/// - asset ids must be the same when the entry names any (an entry without one is generic).
public struct Layer0Guards: Sendable, Hashable, CustomStringConvertible {
    public var identifiers: [String]
    public var assetIds: [String]
    public var quantities: [String]
    public var concepts: [String]
    public var directions: [String]
    public var negated: Bool

    public init(
        identifiers: [String] = [], assetIds: [String] = [], quantities: [String] = [], concepts: [String] = [],
        directions: [String] = [], negated: Bool = false
    ) {
        self.identifiers = Self.sortedUnique(identifiers)
        self.assetIds = Self.sortedUnique(assetIds)
        self.quantities = Self.sortedUnique(quantities)
        self.concepts = Self.sortedUnique(concepts)
        self.directions = Self.sortedUnique(directions)
        self.negated = negated
    }

    /// `values` sorted, each distinct value once (the first of equal ones, as `Set` keeps it), without a `Set`.
    static func sortedUnique(_ values: [String]) -> [String] {
        guard values.count > 1 else { return values }
        var sorted = values.sorted()  // stable: equal values keep their order
        var kept = 1
        for index in 1..<sorted.count where sorted[index] != sorted[kept - 1] {
            sorted[kept] = sorted[index]
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }

    /// The first guard on which an entry with guards `entry` disagrees with a query with these guards, or
    /// nil when all agree.
    public func disagreement(withEntry entry: Layer0Guards) -> String? {
        if identifiers != entry.identifiers { return "identifiers \(identifiers) vs \(entry.identifiers)" }
        if quantities != entry.quantities { return "quantities \(quantities) vs \(entry.quantities)" }
        if concepts != entry.concepts { return "terms \(concepts) vs \(entry.concepts)" }
        if directions != entry.directions { return "directions \(directions) vs \(entry.directions)" }
        if negated != entry.negated { return "negation \(negated) vs \(entry.negated)" }
        if !entry.assetIds.isEmpty && assetIds != entry.assetIds { return "asset ids \(assetIds) vs \(entry.assetIds)" }
        return nil
    }

    /// A 128-bit hash of every guard that must be equal on both sides (all but asset ids): entries that can
    /// answer a query share its key, so a lookup only scores the entries under one key.
    public var blockingKey: Layer0GuardKey {
        var high: UInt64 = 0xcbf2_9ce4_8422_2325
        var low: UInt64 = 0x8422_2325_cbf2_9ce4
        func feed(_ byte: UInt8) {
            high = (high ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            low = (low ^ UInt64(byte ^ 0x5A)) &* 0x0000_0100_0000_01B3
        }
        for (tag, values) in [(UInt8(1), identifiers), (2, quantities), (3, concepts), (4, directions)] {
            feed(tag)
            for value in values {
                for byte in value.utf8 { feed(byte) }
                feed(0xFF)
            }
        }
        feed(negated ? 5 : 6)
        return Layer0GuardKey(high: DomainLexicon.mix(high), low: DomainLexicon.mix(low))
    }

    public var description: String {
        var parts: [String] = []
        if !identifiers.isEmpty { parts.append("ids=\(identifiers.joined(separator: ","))") }
        if !assetIds.isEmpty { parts.append("assets=\(assetIds.joined(separator: ","))") }
        if !quantities.isEmpty { parts.append("numbers=\(quantities.joined(separator: ","))") }
        if !concepts.isEmpty { parts.append("terms=\(concepts.joined(separator: ","))") }
        if !directions.isEmpty { parts.append("directions=\(directions.joined(separator: ","))") }
        if negated { parts.append("negated") }
        return parts.isEmpty ? "(no guards)" : parts.joined(separator: " ")
    }
}

/// The blocking key of a set of guards (see ``Layer0Guards/blockingKey``).
public struct Layer0GuardKey: Sendable, Hashable {
    public var high: UInt64
    public var low: UInt64
}
