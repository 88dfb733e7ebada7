import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Learned router: tier mapping, calibration and hop-log labels")
struct RouterScorerTests {
    @Test func modelsAreLaidOverTiersByPosition() {
        #expect(LearnedScorer.map([0.2, 0.8], toTiers: 2) == [0.2, 0.8])
        #expect(LearnedScorer.map([0.2, 0.8], toTiers: 3) == [0.2, 0.5, 0.8])
        #expect(LearnedScorer.map([0.1, 0.5, 0.9], toTiers: 2) == [0.1, 0.9])
        #expect(LearnedScorer.map([0.1, 0.5, 0.9], toTiers: 1) == [0.9])
        let five = LearnedScorer.map([0.0, 0.4, 0.8], toTiers: 5)
        for (value, expected) in zip(five, [0.0, 0.2, 0.4, 0.6, 0.8]) { #expect(abs(value - expected) < 1e-12) }
    }

    @Test func learnedScorerGivesEstimatesPerTierAndAppliesCalibration() async throws {
        var model = try await SuccessModelTrainer(options: RouterTestData.options)
            .train(examples: RouterTestData.examples(count: 200), models: ["weak", "strong"], name: "toy", dataNames: []).model
        let tiers = Fixtures.config.tiers
        let envelope = Fixtures.envelope(.chat(ChatRequest(messages: [.init(role: "user", content: "pump theorem valve?")])))
        let plain = try LearnedScorer(model: model).estimates(for: envelope, tiers: tiers)
        #expect(plain.count == 3)
        #expect(plain.allSatisfy { (0...1).contains($0) })
        #expect(abs(plain[1] - (plain[0] + plain[2]) / 2) < 1e-12)
        model.calibration = TierCalibration(offsets: ["edge": 2, "cloud": -1], target: "test", queries: 1)
        let shifted = try LearnedScorer(model: model).estimates(for: envelope, tiers: tiers)
        #expect(shifted[0] > plain[0] && shifted[1] == plain[1] && shifted[2] < plain[2])
        #expect(try LearnedScorer(model: model).name == "learned:toy")
    }

    @Test(arguments: [true, false])
    func fusedScoringMatchesTheFeatureVectorPath(idf: Bool) async throws {
        var options = RouterTestData.options
        options.featurizer.idf = idf
        options.featurizer.structureWeight = 0.3
        let model = try await SuccessModelTrainer(options: options)
            .train(examples: RouterTestData.examples(count: 150), models: ["weak", "strong"], name: "toy", dataNames: []).model
        #expect((model.featurizer.idf != nil) == idf)
        let scorer = try LearnedScorer(model: model)
        for example in RouterTestData.examples(count: 40, seed: 99) {
            let fused = scorer.probabilities(for: example.query)
            let plain = model.probabilities(scorer.featurizer.features(of: example.query))
            for (a, b) in zip(fused, plain) { #expect(abs(a - b) < 1e-5) }
        }
    }

    func samples(_ count: Int) -> [TierCalibrator.Sample] {
        var random = SeededRandom(seed: 4)
        return (0..<count).map { index in
            let difficulty = random.unit()
            let envelope = QueryEnvelope(
                id: "q\(index)", source: .chat, receivedAt: Date(), payload: .chat(ChatRequest(messages: [.init(role: "user", content: "q")])))
            return TierCalibrator.Sample(
                envelope: envelope, estimates: [1 - difficulty, 1 - difficulty * 0.6, 1 - difficulty * 0.2], promptTokens: 100)
        }
    }

    @Test func calibrationMeetsATargetTierMix() {
        let calibrator = TierCalibrator(chooser: TierChooser(config: Fixtures.config))
        let samples = samples(600)
        let target = [0.6, 0.3, 0.1]
        let offsets = calibrator.offsets(samples, target: target)
        let shares = calibrator.shares(samples, offsets: offsets)
        for (share, goal) in zip(shares, target) { #expect(abs(share - goal) < 0.02) }
        let other = calibrator.shares(samples, offsets: calibrator.offsets(samples, target: [0.2, 0.3, 0.5]))
        #expect(abs(other[0] - 0.2) < 0.02 && abs(other[2] - 0.5) < 0.02)
    }

    @Test func aQualityTargetPicksTheCheapestMixThatReachesIt() {
        let calibrator = TierCalibrator(chooser: TierChooser(config: Fixtures.config))
        let samples = samples(400)
        let lenient = calibrator.shares(samples, quality: 0.5)
        let strict = calibrator.shares(samples, quality: 0.85)
        #expect(abs(lenient.reduce(0, +) - 1) < 1e-9)
        #expect(lenient[0] > strict[0])
        #expect(strict[2] + strict[1] > lenient[2] + lenient[1])
    }

    @Test func hopLogLabelsFollowEvaluatorDecisionsAndFeedback() {
        let labeler = HopLogLabeler()
        typealias E = HopLogLabeler.Evaluation
        let accepted = labeler.labels(evaluations: [E(tier: "edge", attempt: 0, decision: "accept")], finalTier: "edge", feedbackRating: nil)
        #expect(accepted.scores == ["edge": 1])
        let escalated = labeler.labels(
            evaluations: [E(tier: "gpu", attempt: 1, decision: "accept"), E(tier: "edge", attempt: 0, decision: "escalate:gpu")],
            finalTier: "gpu", feedbackRating: nil)
        #expect(escalated.scores == ["edge": 0, "gpu": 1])
        let unresolved = labeler.labels(
            evaluations: [E(tier: "edge", attempt: 0, decision: "escalate:gpu"), E(tier: "gpu", attempt: 1, decision: "finalise:deadline")],
            finalTier: "gpu", feedbackRating: nil)
        #expect(unresolved.scores.isEmpty)
        let overridden = labeler.labels(
            evaluations: [E(tier: "edge", attempt: 0, decision: "escalate:gpu"), E(tier: "gpu", attempt: 1, decision: "accept")],
            finalTier: "gpu", feedbackRating: -1)
        #expect(overridden.scores == ["edge": 0, "gpu": 0])
        #expect(overridden.weights["gpu"] == labeler.feedbackWeight)
        let praised = labeler.labels(evaluations: [E(tier: "cloud", attempt: 2, decision: "finalise:top_tier")], finalTier: "cloud", feedbackRating: 1)
        #expect(praised.scores == ["cloud": 1])
        let neutral = labeler.labels(evaluations: [], finalTier: "cloud", feedbackRating: 0)
        #expect(neutral.scores.isEmpty)
    }
}
