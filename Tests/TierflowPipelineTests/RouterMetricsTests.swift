import Foundation
import Testing

import TierflowCore
@testable import TierflowPipeline

@Suite("Learned router: APGR, CPT and cost–quality metrics")
struct RouterMetricsTests {
    // Six queries: strong − weak gains are +1, +1, 0, 0, −1, 0 (weak 0.5, strong 0.667, gap 1/6).
    let weak: [Double] = [0, 0, 1, 0, 1, 1]
    let strong: [Double] = [1, 1, 1, 0, 0, 1]

    @Test func oracleOrderRecoversTheGapFirst() {
        let metrics = TwoModelMetrics(scores: [6, 5, 4, 3, 1, 2], weak: weak, strong: strong)
        #expect(abs(metrics.weakQuality - 0.5) < 1e-12)
        #expect(abs(metrics.strongQuality - 4.0 / 6) < 1e-12)
        // PGR after k strong calls: 0, 1, 2, 2, 2, 2, 1 over x = k/6.
        let pgr = metrics.curve.map(\.pgr)
        #expect(pgr.count == 7)
        for (value, expected) in zip(pgr, [0.0, 1, 2, 2, 2, 2, 1]) { #expect(abs(value - expected) < 1e-9) }
        // Trapezoids: (0+1)/2 + (1+2)/2 + 2 + 2 + 2 + (2+1)/2 = 9.5, times 1/6.
        #expect(abs(metrics.apgr - 9.5 / 6) < 1e-9)
        #expect(abs(metrics.cpt(0.5)! - 1.0 / 12) < 1e-9)
        #expect(abs(metrics.cpt(1.0)! - 1.0 / 6) < 1e-9)
        #expect(metrics.cpt(2.5) == nil)
    }

    @Test func tiedScoresMoveTogether() {
        let metrics = TwoModelMetrics(scores: [1, 1, 1, 1, 1, 1], weak: weak, strong: strong)
        #expect(metrics.curve.count == 2)
        #expect(abs(metrics.apgr - 0.5) < 1e-9)
        #expect(abs(metrics.apgrDeciles - 0.5) < 1e-9)
    }

    @Test func reversedOrderIsWorseThanRandom() {
        let good = TwoModelMetrics(scores: [6, 5, 4, 3, 1, 2], weak: weak, strong: strong)
        let bad = TwoModelMetrics(scores: [1, 2, 3, 4, 6, 5], weak: weak, strong: strong)
        #expect(bad.apgr < 0.5)
        #expect(good.apgr > 1)
        #expect(abs(good.apgr + bad.apgr - 1) < 1e-9)  // the two curves mirror each other around the diagonal
    }

    @Test func randomRoutingAveragesOneHalf() {
        var generator = SeededRandom(seed: 11)
        let weak = (0..<2000).map { _ in generator.unit() < 0.6 ? 1.0 : 0 }
        let strong = (0..<2000).map { _ in generator.unit() < 0.8 ? 1.0 : 0 }
        let random = TwoModelMetrics.randomBaseline(weak: weak, strong: strong, trials: 40, seed: 5)
        #expect(abs(random.apgr - 0.5) < 0.03)
        #expect(abs(random.apgrDeciles - 0.5) < 0.03)
    }

    @Test func decilesMatchRouteLLMsThresholds() {
        // With distinct scores, the decile thresholds send 100%, 90%, …, 0% to the strong model.
        var generator = SeededRandom(seed: 2)
        let n = 1000
        let weak = (0..<n).map { _ in generator.unit() < 0.5 ? 1.0 : 0 }
        let strong = (0..<n).map { _ in generator.unit() < 0.7 ? 1.0 : 0 }
        let scores = (0..<n).map { Double($0) + generator.unit() * 0.5 }
        let metrics = TwoModelMetrics(scores: scores, weak: weak, strong: strong)
        #expect(abs(metrics.apgr - metrics.apgrDeciles) < 0.02)
        #expect(TwoModelMetrics.quantile([1, 2, 3, 4], 0.5) == 2.5)
    }

    @Test func costQualityFrontierRandomAndLength() {
        // Two queries, three models (cheapest first): the cheap model fails the long query only.
        let qualities: [[Double]] = [[1, 1, 1], [0, 0, 1]]
        let costs: [[Double]] = [[0, 1, 10], [0, 1, 10]]
        let singles = CostQualityAnalysis.singles(qualities: qualities, costs: costs)
        #expect(singles.map(\.quality) == [0.5, 0.5, 1])
        #expect(singles.map(\.cost) == [0, 1, 10])
        let perfect = CostQualityAnalysis.routerCurve(probabilities: [[0.9, 0.9, 0.95], [0.1, 0.2, 0.9]], qualities: qualities, costs: costs)
        let best = CostQualityAnalysis.cheapest(perfect, reaching: 0.95)
        #expect(best?.cost == 5)
        #expect(best?.shares == [0.5, 0, 0.5])
        #expect(CostQualityAnalysis.randomCost(singles: singles, reaching: 0.95) == 9)
        let length = CostQualityAnalysis.lengthCurve(lengths: [10, 200], qualities: qualities, costs: costs, step: 0.5)
        #expect(CostQualityAnalysis.cheapest(length, reaching: 1)?.cost == 5)
        let frontier = CostQualityAnalysis.frontier(singles)
        #expect(frontier.count == 2)
    }
}
