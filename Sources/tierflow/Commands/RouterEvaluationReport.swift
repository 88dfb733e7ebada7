import Foundation
import TierflowPipeline

/// Prints `tierflow router eval`'s tables.
enum RouterEvaluationReport {
    typealias F = RouterCommandSupport

    /// APGR and CPT of the router, random and prompt-length routing.
    static func twoModels(probabilities: [[Double]], qualities: [[Double]], lengths: [Int]) {
        let weak = qualities.map { $0[0] }
        let strong = qualities.map { $0[1] }
        let router = TwoModelMetrics(scores: probabilities.map(RouterModel.strongPreference), weak: weak, strong: strong)
        let length = TwoModelMetrics(scores: lengths.map(Double.init), weak: weak, strong: strong)
        let random = TwoModelMetrics.randomBaseline(weak: weak, strong: strong)
        print("  policy                    APGR   APGR(deciles)  CPT(50%)  CPT(80%)")
        func row(_ name: String, _ apgr: Double, _ deciles: Double, _ cpt50: Double?, _ cpt80: Double?) {
            print("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + "  \(F.format(apgr))  \(F.format(deciles))          \(F.percent(cpt50).padding(toLength: 8, withPad: " ", startingAt: 0))  \(F.percent(cpt80))")
        }
        row("router", router.apgr, router.apgrDeciles, router.cpt(0.5), router.cpt(0.8))
        row("random (100 seeds)", random.apgr, random.apgrDeciles, 0.5, 0.8)
        row("prompt length", length.apgr, length.apgrDeciles, length.cpt(0.5), length.cpt(0.8))
        print("  (random's CPT is its expectation: x% of strong calls recover x% of the gap)")
    }

    /// The cost–quality comparison for three or more models.
    static func manyModels(heads: [String], probabilities: [[Double]], qualities: [[Double]], costs: [[Double]], lengths: [Int], target: Double) {
        let singles = CostQualityAnalysis.singles(qualities: qualities, costs: costs)
        let router = CostQualityAnalysis.routerCurve(probabilities: probabilities, qualities: qualities, costs: costs)
        let length = CostQualityAnalysis.lengthCurve(lengths: lengths, qualities: qualities, costs: costs)
        let goal = target * (singles.last?.quality ?? 0)
        print("  single models:")
        for (head, point) in zip(heads, singles) {
            print("    \(head.padding(toLength: 34, withPad: " ", startingAt: 0)) quality \(F.format(point.quality))  cost $\(F.format(point.cost * 1000, 4))/1k queries")
        }
        print("  router frontier (cost per 1k queries → quality, shares cheapest first):")
        let step = max(1, router.count / 12)
        for (index, point) in router.enumerated() where index % step == 0 || index == router.count - 1 {
            print("    $\(F.format(point.cost * 1000, 4)) → \(F.format(point.quality))  [" + point.shares.map { F.percent($0) }.joined(separator: ", ") + "]")
        }
        print("  cheapest way to reach \(F.format(target * 100, 0))% of \(heads.last!)'s quality (\(F.format(goal))):")
        let best = CostQualityAnalysis.cheapest(router, reaching: goal)
        func line(_ name: String, _ cost: Double?, _ extra: String = "") {
            print("    " + name.padding(toLength: 22, withPad: " ", startingAt: 0)
                + (cost.map { "$\(F.format($0 * 1000, 4))/1k queries" } ?? "not reached") + extra)
        }
        line("router", best?.cost, best.map { "  [" + $0.shares.map { F.percent($0) }.joined(separator: ", ") + "], quality \(F.format($0.quality))" } ?? "")
        line("prompt length", CostQualityAnalysis.cheapest(length, reaching: goal)?.cost)
        line("random routing", CostQualityAnalysis.randomCost(singles: singles, reaching: goal))
        line("best single model", singles.filter { $0.quality >= goal }.map(\.cost).min())
    }
}
