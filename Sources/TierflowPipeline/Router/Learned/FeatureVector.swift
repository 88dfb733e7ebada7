/// A sparse feature vector: the sum of `values[i]` at position `indices[i]` (an index may repeat).
///
/// Dense vectors (embeddings) use every index `0..<dimension`.
public struct FeatureVector: Sendable, Hashable {
    public var indices: [Int32]
    public var values: [Float]

    public init(indices: [Int32], values: [Float]) {
        precondition(indices.count == values.count, "one value per index")
        self.indices = indices
        self.values = values
    }

    /// A dense vector.
    public init(dense: [Float]) {
        self.indices = (0..<dense.count).map { Int32($0) }
        self.values = dense
    }

    /// Stored entries.
    public var count: Int { indices.count }

    /// The Euclidean norm.
    public var norm: Float {
        var sum: Float = 0
        for value in values { sum += value * value }
        return sum.squareRoot()
    }
}
