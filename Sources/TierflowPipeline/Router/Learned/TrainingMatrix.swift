/// Examples as the trainer needs them: features in compressed sparse rows, and per head a label and a
/// loss weight (0 where the example has no label for that head).
struct TrainingMatrix: Sendable {
    let rows: Int
    let heads: Int
    let dimension: Int
    /// Row `i`'s entries are `rowStart[i]..<rowStart[i + 1]`.
    let rowStart: [Int]
    let indices: [Int32]
    let values: [Float]
    /// `rows × heads`, row-major.
    let labels: [Float]
    let weights: [Float]

    /// Builds the matrix; `headWeight[h]` scales head `h`'s loss (routed heads 1, auxiliary heads less).
    init(examples: [RoutingExample], features: [FeatureVector], heads: [String], headWeight: [Float], dimension: Int) {
        precondition(examples.count == features.count, "one feature vector per example")
        rows = examples.count
        self.heads = heads.count
        self.dimension = dimension
        var rowStart = [0]
        rowStart.reserveCapacity(rows + 1)
        var indices: [Int32] = []
        var values: [Float] = []
        indices.reserveCapacity(features.reduce(0) { $0 + $1.count })
        values.reserveCapacity(indices.capacity)
        for vector in features {
            for (index, value) in zip(vector.indices, vector.values) where index >= 0 && Int(index) < dimension {
                indices.append(index)
                values.append(value)
            }
            rowStart.append(indices.count)
        }
        let column = Dictionary(uniqueKeysWithValues: heads.enumerated().map { ($1, $0) })
        var labels = [Float](repeating: 0, count: rows * heads.count)
        var weights = [Float](repeating: 0, count: rows * heads.count)
        for (row, example) in examples.enumerated() {
            for (name, score) in example.scores {
                guard let head = column[name] else { continue }
                labels[row * heads.count + head] = Float(score)
                weights[row * heads.count + head] = headWeight[head] * Float(example.labelWeights?[name] ?? 1)
            }
        }
        self.rowStart = rowStart
        self.indices = indices
        self.values = values
        self.labels = labels
        self.weights = weights
    }

    /// The weighted mean label of each head (0.5 where a head has no labels).
    var meanLabels: [Double] {
        (0..<heads).map { head in
            var sum = 0.0
            var total = 0.0
            for row in 0..<rows {
                sum += Double(weights[row * heads + head] * labels[row * heads + head])
                total += Double(weights[row * heads + head])
            }
            return total > 0 ? sum / total : 0.5
        }
    }
}
