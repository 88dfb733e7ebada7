import Foundation

/// Counts hashed features of one block (words, character n-grams, structure) without allocating per feature.
///
/// Open addressing with linear probing over a power-of-two table sized for the expected number of
/// features; keys are stored as `index + 1` so that 0 marks an empty slot.
struct FeatureAccumulator {
    private var keys: [UInt32]
    private var counts: [Float]
    private var mask: Int
    private(set) var distinct = 0

    /// A table for about `expected` distinct features.
    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        keys = Array(repeating: 0, count: capacity)
        counts = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Adds `amount` to feature `index`.
    @inline(__always)
    mutating func add(_ index: UInt32, _ amount: Float = 1) {
        if distinct * 2 >= keys.count { grow() }
        let key = index &+ 1
        var slot = Int(truncatingIfNeeded: key &* 0x9E37_79B1) & mask
        while true {
            let current = keys[slot]
            if current == key {
                counts[slot] += amount
                return
            }
            if current == 0 {
                keys[slot] = key
                counts[slot] = amount
                distinct += 1
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// Appends each feature with weight `(1 + ln count) · idf · scale / norm`, so the block's norm is `scale`.
    func append(to indices: inout [Int32], _ values: inout [Float], scale: Float, idf: [Float]?) {
        guard distinct > 0, scale != 0 else { return }
        let start = values.count
        var sumSquares: Float = 0
        for slot in keys.indices where keys[slot] != 0 {
            let index = keys[slot] &- 1
            let weight = Self.sublinear(counts[slot]) * (idf?[Int(index)] ?? 1)
            sumSquares += weight * weight
            indices.append(Int32(bitPattern: index))
            values.append(weight)
        }
        let factor = scale / sumSquares.squareRoot()
        for position in start..<values.count { values[position] *= factor }
    }

    /// `1 + ln(count)` for positive counts (sublinear term frequency).
    @inline(__always)
    static func sublinear(_ count: Float) -> Float {
        count <= 1 ? max(count, 0) : 1 + log(count)
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldCounts = counts
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        counts = Array(repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        distinct = 0
        for slot in oldKeys.indices where oldKeys[slot] != 0 {
            add(oldKeys[slot] &- 1, oldCounts[slot])
        }
    }
}
