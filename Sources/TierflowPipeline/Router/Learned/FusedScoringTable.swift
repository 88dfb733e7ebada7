/// A model's routed columns and its idf laid out for the live router: one record per hash position,
/// `[idf, w_model0, w_model1, …]`, so scoring a feature touches one cache line.
///
/// Featurising and scoring are fused: per block the logits gain `scale · Σ tf·idf·w / ‖tf·idf‖`, which is
/// the model's dot product with the normalised block without materialising the feature vector.
struct FusedScoringTable: Sendable {
    let stride: Int
    let rows: Int
    let bias: [Float]
    let records: [Float]

    init(model: RouterModel) {
        let columns = model.modelColumns
        stride = columns.count + 1
        rows = model.weights.rows
        bias = columns.map { model.bias[$0] }
        var records = [Float](repeating: 0, count: rows * stride)
        let idf = model.featurizer.idf?.values
        for row in 0..<rows {
            records[row * stride] = idf?[row] ?? 1
            for (offset, column) in columns.enumerated() {
                records[row * stride + 1 + offset] = model.weights.values[row * model.weights.columns + column]
            }
        }
        self.records = records
    }

    /// The routed models' logits for `query`.
    func logits(_ query: RouterQuery, featurizer: HashedFeaturizer) -> [Float] {
        let blocks = featurizer.blocks(of: query)
        let models = stride - 1
        var logits = bias
        var sums = [Float](repeating: 0, count: models)
        records.withUnsafeBufferPointer { table in
            logits.withUnsafeMutableBufferPointer { out in
                sums.withUnsafeMutableBufferPointer { sums in
                    func add(_ block: FeatureAccumulator?, scale: Float, idf: Bool) {
                        guard let block, block.distinct > 0, scale != 0 else { return }
                        for model in 0..<models { sums[model] = 0 }
                        var norm: Float = 0
                        block.forEach { index, count in
                            guard index < rows else { return }
                            let record = index * stride
                            let weight = FeatureAccumulator.sublinear(count) * (idf ? table[record] : 1)
                            norm += weight * weight
                            for model in 0..<models { sums[model] += weight * table[record + 1 + model] }
                        }
                        guard norm > 0 else { return }
                        let factor = scale / norm.squareRoot()
                        for model in 0..<models { out[model] += factor * sums[model] }
                    }
                    let options = featurizer.options
                    add(blocks.words, scale: options.wordWeight, idf: featurizer.idf != nil)
                    add(blocks.chars, scale: options.charWeight, idf: featurizer.idf != nil)
                    add(blocks.structure, scale: options.structureWeight, idf: false)
                }
            }
        }
        return logits
    }
}
