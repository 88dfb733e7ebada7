import Foundation
import TierflowCore

/// A ``TierScorer`` backed by a ``RouterModel`` and its in-process featuriser.
///
/// The model's routed models (cheapest first) are laid over the pipeline's tiers (cheapest first) by
/// position: with K models and T tiers, tier t sits at position u = t·(K−1)/(T−1) on the model ladder
/// and gets the linear interpolation of the two nearest models' probabilities. Equal counts map one to
/// one; two models over three tiers give the middle tier their average; a single tier gets the strongest
/// model. A model's calibration then shifts each tier's estimate by its logit offset.
public struct LearnedScorer: TierScorer {
    public let name: String
    public let model: RouterModel
    public let featurizer: HashedFeaturizer
    private let table: FusedScoringTable

    /// A scorer for `model`, which must use in-process (hashed) features.
    public init(model: RouterModel, name: String? = nil) throws {
        self.model = model
        self.featurizer = try model.localFeaturizer()
        self.name = name ?? "learned:\(model.name)"
        table = FusedScoringTable(model: model)
    }

    public func estimates(for envelope: QueryEnvelope, tiers: [TierConfig]) -> [Double] {
        estimates(for: RouterQuery(envelope: envelope), tiers: tiers.map(\.name))
    }

    /// Estimates for `tiers` (names, cheapest first) of `query`.
    public func estimates(for query: RouterQuery, tiers: [String]) -> [Double] {
        let probabilities = self.probabilities(for: query)
        let mapped = Self.map(probabilities, toTiers: tiers.count)
        guard let offsets = model.calibration?.offsets else { return mapped }
        return zip(mapped, tiers).map { probability, tier in
            guard let offset = offsets[tier], offset != 0 else { return probability }
            return RouterModel.sigmoid(RouterModel.logit(probability) + offset)
        }
    }

    /// The routed models' probabilities (cheapest first) of `query`, featurised and scored in one pass
    /// (equal to `model.probabilities(featurizer.features(of: query))` up to float rounding).
    public func probabilities(for query: RouterQuery) -> [Double] {
        table.logits(query, featurizer: featurizer).map { RouterModel.sigmoid(Double($0)) }
    }

    /// Lays `probabilities` of K models (cheapest first) over `count` tiers by position (see the type's notes).
    public static func map(_ probabilities: [Double], toTiers count: Int) -> [Double] {
        let models = probabilities.count
        guard models > 0, count > 0 else { return Array(repeating: 0, count: count) }
        if models == count { return probabilities }
        if count == 1 { return [probabilities[models - 1]] }
        return (0..<count).map { tier in
            let position = Double(tier) * Double(models - 1) / Double(count - 1)
            let low = Int(position.rounded(.down))
            let high = min(models - 1, low + 1)
            let fraction = position - Double(low)
            return probabilities[low] * (1 - fraction) + probabilities[high] * fraction
        }
    }
}
