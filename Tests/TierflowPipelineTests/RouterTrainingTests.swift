import Foundation
import Testing

import TierflowCore
@testable import TierflowPipeline

@Suite("Learned router: training, saving and reloading models")
struct RouterTrainingTests {
    let examples = RouterTestData.examples(count: 300)

    func train(_ options: TrainingOptions = RouterTestData.options, models: [String] = ["weak", "strong"]) async throws -> SuccessModelTrainer.Outcome {
        try await SuccessModelTrainer(options: options).train(examples: examples, models: models, name: "toy", dataNames: ["toy"])
    }

    @Test func trainingIsDeterministicForASeed() async throws {
        let first = try await train()
        let second = try await train()
        #expect(first.model.bias == second.model.bias)
        #expect(first.model.weights.values == second.model.weights.values)
        var reseeded = RouterTestData.options
        reseeded.seed = 99
        let other = try await train(reseeded)
        #expect(other.model.weights.values != first.model.weights.values)  // the shared representation starts elsewhere
    }

    @Test func learnsWhichQueriesNeedTheStrongModel() async throws {
        let outcome = try await train()
        let model = outcome.model
        let featurizer = try model.localFeaturizer()
        let hard = model.probabilities(featurizer.features(of: RouterQuery(text: "pump eigenvalue pressure?")))
        let easy = model.probabilities(featurizer.features(of: RouterQuery(text: "pump valve pressure?")))
        #expect(hard[0] < 0.5 && easy[0] > 0.5)
        #expect(RouterModel.strongPreference(hard) > RouterModel.strongPreference(easy))
        let metrics = try await RouterModelEvaluation.summary(
            model: model, featurizer: featurizer, examples: outcome.heldBack, heads: ["weak", "strong"], prefix: "held_back")
        #expect(metrics["held_back.apgr"]! > 0.8)
        #expect(!outcome.heldBack.isEmpty && outcome.trained.count + outcome.heldBack.count == examples.count)
    }

    @Test(arguments: PackedWeights.Encoding.allCases)
    func aSavedModelScoresIdenticallyAfterReload(encoding: PackedWeights.Encoding) async throws {
        var options = RouterTestData.options
        options.encoding = encoding
        let model = try await train(options).model
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path: path)
        let loaded = try RouterModel.load(path: path)
        #expect(loaded.weights.values == model.weights.values)
        #expect(loaded.bias == model.bias && loaded.heads == model.heads && loaded.models == model.models)
        let before = try LearnedScorer(model: model)
        let after = try LearnedScorer(model: loaded)
        for example in examples.prefix(50) {
            #expect(before.probabilities(for: example.query) == after.probabilities(for: example.query))
        }
        #expect(try loaded.jsonData() == model.jsonData())
    }

    @Test func int8StorageIsSmallAndClose() async throws {
        var options = RouterTestData.options
        options.encoding = .int8
        let small = try await train(options).model
        let full = try await train().model
        #expect(try small.jsonData().count < full.jsonData().count / 2)
        let featurizer = try full.localFeaturizer()
        for example in examples.prefix(50) {
            let features = featurizer.features(of: example.query)
            for (a, b) in zip(small.probabilities(features), full.probabilities(features)) { #expect(abs(a - b) < 0.05) }
        }
    }

    @Test func keptHeadsAreLearnedAndAuxiliaryHeadsAreNotExported() async throws {
        var rows = examples
        for index in rows.indices {
            rows[index].scores["other"] = rows[index].scores["weak"]
            rows[index].scores["auxiliary"] = rows[index].scores["strong"]
        }
        var options = RouterTestData.options
        options.auxiliaryWeight = 0.5
        options.keepHeads = ["other"]
        let model = try await SuccessModelTrainer(options: options).train(examples: rows, models: ["weak", "strong"], name: "aux", dataNames: [])
            .model
        #expect(model.heads == ["weak", "strong", "other"])
        #expect(model.models == ["weak", "strong"])
        let features = try model.localFeaturizer().features(of: RouterQuery(text: "valve theorem pump?"))
        #expect(model.probabilities(features, columns: [2])[0] < 0.5)
    }

    @Test func trainingRejectsUnknownModelsAndBadOptions() async throws {
        await #expect(throws: LearnedRouterError.self) { try await train(models: ["weak", "nobody"]) }
        var options = RouterTestData.options
        options.rank = -1
        #expect(throws: LearnedRouterError.self) { try SuccessModelTrainer(options: options) }
    }

    @Test func heldBackSplitIsStableAndSeedIndependent() {
        let held = examples.filter { SuccessModelTrainer.isHeldBack($0, fraction: 0.2) }.map(\.id)
        let again = examples.filter { SuccessModelTrainer.isHeldBack($0, fraction: 0.2) }.map(\.id)
        #expect(held == again)
        #expect(held.count > 30 && held.count < 90)
        #expect(examples.allSatisfy { !SuccessModelTrainer.isHeldBack($0, fraction: 0) })
    }

    @Test func aWorseModelLosesTheHeldBackComparison() async throws {
        let good = try await train()
        var flipped = examples
        for index in flipped.indices { flipped[index].scores = flipped[index].scores.mapValues { 1 - $0 } }
        let bad = try await SuccessModelTrainer(options: RouterTestData.options)
            .train(examples: flipped, models: ["weak", "strong"], name: "bad", dataNames: []).model
        let comparison = try #require(try await RouterModelComparison.compare(candidate: bad, incumbent: good.model, on: good.heldBack))
        #expect(!comparison.candidateIsNoWorse)
        let reverse = try #require(try await RouterModelComparison.compare(candidate: good.model, incumbent: bad, on: good.heldBack))
        #expect(reverse.candidateIsNoWorse)
    }

    @Test func modelFilesWithAnotherFormatOrShapeAreRefused() async throws {
        let model = try await train().model
        var object = try JSONSerialization.jsonObject(with: model.jsonData()) as! [String: Any]
        object["format"] = 99
        #expect(throws: LearnedRouterError.self) { try RouterModel(jsonData: JSONSerialization.data(withJSONObject: object)) }
        object["format"] = RouterModel.formatVersion
        object["bias"] = [0.5]
        #expect(throws: LearnedRouterError.self) { try RouterModel(jsonData: JSONSerialization.data(withJSONObject: object)) }
        #expect(throws: LearnedRouterError.self) { try RouterModel(jsonData: Data("{}".utf8)) }
    }
}

@Suite("Learned router: the training objective")
struct RouterObjectiveTests {
    @Test func gradientMatchesFiniteDifferences() {
        let examples = RouterTestData.examples(count: 40)
        var rows = examples
        for index in rows.indices where index % 3 == 0 { rows[index].scores["aux"] = rows[index].scores["weak"] }
        let featurizer = HashedFeaturizer(options: .init(hashBits: 8, charWeight: 0.5, structureWeight: 0.3))
        let matrix = TrainingMatrix(
            examples: rows, features: rows.map { featurizer.features(of: $0.query) }, heads: ["weak", "strong", "aux"],
            headWeight: [1, 1, 0.5], dimension: featurizer.dimension)
        let objective = SuccessObjective(matrix: matrix, ownHeads: 2, rank: 2, l2: 0.01, sharedL2: 0.02)
        var random = SeededRandom(seed: 5)
        var theta = (0..<objective.parameterCount).map { _ in Float(random.gaussian(deviation: 0.3)) }
        var gradient = [Float](repeating: 0, count: objective.parameterCount)
        _ = objective.evaluate(theta, gradient: &gradient)
        var scratch = gradient
        let probes = [0, 1, 2, objective.weightOffset + 5, objective.weightOffset + 77, objective.sharedOffset + 3,
            objective.sharedOffset + 50, objective.loadingOffset, objective.loadingOffset + 5]
        for index in probes {
            let saved = theta[index]
            let step: Float = 1e-2
            theta[index] = saved + step
            let up = objective.evaluate(theta, gradient: &scratch)
            theta[index] = saved - step
            let down = objective.evaluate(theta, gradient: &scratch)
            theta[index] = saved
            let numeric = (up - down) / Double(2 * step)
            #expect(abs(numeric - Double(gradient[index])) < 2e-3 + 0.02 * abs(numeric), "parameter \(index)")
        }
    }
}
