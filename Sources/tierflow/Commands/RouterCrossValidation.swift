import ArgumentParser
import Foundation
import TierflowPipeline

/// `tierflow router train --cross-validate K`: K-fold figures for tuning, with far less noise than one
/// small dev split (folds by a stable hash of dataset and id).
struct RouterCrossValidation {
    let folds: Int
    let options: TrainingOptions
    let models: [String]
    let measureOn: String?

    func run(_ examples: [RoutingExample]) async throws {
        guard (2...20).contains(folds) else { throw ValidationError("--cross-validate takes 2...20 folds") }
        var options = options
        options.heldBackFraction = 0
        var apgrs: [Double] = []
        var losses: [Double] = []
        for fold in 0..<folds {
            let test = examples.filter { SuccessModelTrainer.fold(of: $0, folds: folds) == fold && (measureOn == nil || $0.dataset == measureOn) }
            let train = examples.filter { SuccessModelTrainer.fold(of: $0, folds: folds) != fold }
            let model = try await SuccessModelTrainer(options: options)
                .train(examples: train, models: models, name: "cv\(fold)", dataNames: []).model
            let metrics = try await RouterModelEvaluation.summary(
                model: model, featurizer: try model.localFeaturizer(), examples: test, heads: models, prefix: "fold")
            if let apgr = metrics["fold.apgr"] { apgrs.append(apgr) }
            if let loss = metrics["fold.logloss"] { losses.append(loss) }
            print("fold \(fold): \(test.count) examples, APGR \(RouterCommandSupport.format(metrics["fold.apgr"])), log loss \(RouterCommandSupport.format(metrics["fold.logloss"], 4))")
        }
        func summary(_ values: [Double]) -> String {
            guard !values.isEmpty else { return "—" }
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, values.count - 1))).squareRoot()
            return "\(RouterCommandSupport.format(mean, 4)) ± \(RouterCommandSupport.format(deviation / Double(values.count).squareRoot(), 4))"
        }
        print("cv.apgr \(summary(apgrs))  cv.logloss \(summary(losses))")
    }
}
