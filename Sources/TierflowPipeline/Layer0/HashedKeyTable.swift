/// A small open-addressing table keyed by 64-bit hashes that are already well mixed (FNV-1a of words,
/// stems): lookups cost a multiply and a probe or two instead of a SipHash round, which matters when a
/// query's analysis does hundreds of them.
struct HashedKeyTable<Value: Sendable>: Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity *= 2 }
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Value?](repeating: nil, count: capacity)
        mask = capacity - 1
    }

    subscript(key: UInt64) -> Value? {
        get {
            var index = Self.slot(key) & mask
            while let value = values[index] {
                if keys[index] == key { return value }
                index = (index + 1) & mask
            }
            return nil
        }
        set {
            guard let newValue else {
                preconditionFailure("HashedKeyTable does not remove keys")
            }
            if (count + 1) * 2 > keys.count { grow() }
            var index = Self.slot(key) & mask
            while values[index] != nil {
                if keys[index] == key {
                    values[index] = newValue
                    return
                }
                index = (index + 1) & mask
            }
            keys[index] = key
            values[index] = newValue
            count += 1
        }
    }

    private static func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key ^ (key >> 29)) &* 0xBF58_476D_1CE4_E5B9 >> 17)
    }

    private mutating func grow() {
        let old = zip(keys, values).compactMap { key, value in value.map { (key, $0) } }
        self = HashedKeyTable(minimumCapacity: keys.count)
        for (key, value) in old { self[key] = value }
    }
}
