import Foundation

/// Counts hashed features of one block (words, character n-grams, structure) without allocating per feature.
///
/// Open addressing with linear probing over a power-of-two table sized for the expected number of
/// features (keys stored as `index + 1`, 0 marks an empty slot), plus the list of occupied slots in
/// insertion order, so reading the block back costs its distinct features, not the table's size.
final class FeatureAccumulator {
    private var keys: UnsafeMutablePointer<UInt32>
    private var counts: UnsafeMutablePointer<Float>
    private var occupied: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private(set) var distinct = 0

    /// A table for about `expected` distinct features.
    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        self.capacity = capacity
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        counts = .allocate(capacity: capacity)
        occupied = .allocate(capacity: capacity / 2)
    }

    deinit {
        keys.deallocate()
        counts.deallocate()
        occupied.deallocate()
    }

    /// Adds `amount` to feature `index`.
    @inline(__always)
    func add(_ index: UInt32, _ amount: Float = 1) {
        if distinct * 2 >= capacity { grow() }
        let key = index &+ 1
        let mask = capacity - 1
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
                occupied[distinct] = Int32(truncatingIfNeeded: slot)
                distinct += 1
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// Calls `body` with each feature's index and count, in insertion order.
    @inline(__always)
    func forEach(_ body: (_ index: Int, _ count: Float) -> Void) {
        for position in 0..<distinct {
            let slot = Int(occupied[position])
            body(Int(keys[slot] &- 1), counts[slot])
        }
    }

    /// Appends each feature with weight `(1 + ln count) · idf · scale / norm`, so the block's norm is `scale`.
    func append(to indices: inout [Int32], _ values: inout [Float], scale: Float, idf: [Float]?) {
        guard distinct > 0, scale != 0 else { return }
        let start = values.count
        var sumSquares: Float = 0
        forEach { index, count in
            let weight = Self.sublinear(count) * (idf?[index] ?? 1)
            sumSquares += weight * weight
            indices.append(Int32(truncatingIfNeeded: index))
            values.append(weight)
        }
        guard sumSquares > 0 else { return }
        let factor = scale / sumSquares.squareRoot()
        for position in start..<values.count { values[position] *= factor }
    }

    /// `1 + ln(count)` for positive counts (sublinear term frequency).
    @inline(__always)
    static func sublinear(_ count: Float) -> Float {
        count <= 1 ? max(count, 0) : 1 + log(count)
    }

    private func grow() {
        let oldKeys = keys
        let oldCounts = counts
        let oldOccupied = occupied
        let oldDistinct = distinct
        capacity *= 2
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        counts = .allocate(capacity: capacity)
        occupied = .allocate(capacity: capacity / 2)
        distinct = 0
        for position in 0..<oldDistinct {
            let slot = Int(oldOccupied[position])
            add(oldKeys[slot] &- 1, oldCounts[slot])
        }
        oldKeys.deallocate()
        oldCounts.deallocate()
        oldOccupied.deallocate()
    }
}
