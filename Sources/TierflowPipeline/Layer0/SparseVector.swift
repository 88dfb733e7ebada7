import Foundation

/// A unit-length sparse vector of hashed features, sorted by feature, for cosine similarity.
public struct SparseVector: Sendable, Hashable {
    private(set) var features: [UInt32]
    private(set) var weights: [Float]

    /// The empty vector (similarity 0 with everything).
    public static let empty = SparseVector(features: [], weights: [])

    private init(features: [UInt32], weights: [Float]) {
        self.features = features
        self.weights = weights
    }

    /// A vector with one entry per distinct feature in `occurrences`, weighted 1 + ln(count), normalised.
    init(occurrences: [UInt32]) {
        guard !occurrences.isEmpty else {
            self = .empty
            return
        }
        let sorted = occurrences.sorted()
        var features: [UInt32] = []
        var weights: [Float] = []
        features.reserveCapacity(sorted.count)
        weights.reserveCapacity(sorted.count)
        var index = 0
        var norm: Float = 0
        while index < sorted.count {
            var end = index + 1
            while end < sorted.count, sorted[end] == sorted[index] { end += 1 }
            let weight = 1 + Float(log(Double(end - index)))
            features.append(sorted[index])
            weights.append(weight)
            norm += weight * weight
            index = end
        }
        let scale = 1 / norm.squareRoot()
        for position in weights.indices { weights[position] *= scale }
        self.init(features: features, weights: weights)
    }

    /// Number of distinct features.
    public var count: Int { features.count }

    /// The cosine similarity with `other`, in [0, 1].
    public func cosine(_ other: SparseVector) -> Double {
        var left = 0
        var right = 0
        var sum: Float = 0
        let (a, b) = (features, other.features)
        while left < a.count && right < b.count {
            if a[left] == b[right] {
                sum += weights[left] * other.weights[right]
                left += 1
                right += 1
            } else if a[left] < b[right] {
                left += 1
            } else {
                right += 1
            }
        }
        return min(1, Double(sum))
    }

    /// The features, for inverted indexes.
    var featureList: [UInt32] { features }
}
