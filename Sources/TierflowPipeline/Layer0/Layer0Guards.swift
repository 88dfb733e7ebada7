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
        self.identifiers = Array(Set(identifiers)).sorted()
        self.assetIds = Array(Set(assetIds)).sorted()
        self.quantities = Array(Set(quantities)).sorted()
        self.concepts = Array(Set(concepts)).sorted()
        self.directions = Array(Set(directions)).sorted()
        self.negated = negated
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
