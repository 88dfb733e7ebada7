import Foundation

/// Cost–quality trade-offs of routing between N models, cheapest first.
///
/// A policy assigns each query one model; its point is the mean cost and mean quality over the queries.
/// The router's policies are `argmax_m p_m − λ·cost_m` for λ from 0 (best predicted quality) to ∞
/// (cheapest); the prompt-length baseline sends the shortest share of queries to the cheapest model,
/// the next share to the next model, and so on, over a grid of shares; random routing can reach any
/// mixture of single models, i.e. their lower convex hull.
public enum CostQualityAnalysis {
    /// One policy's outcome.
    public struct Point: Sendable, Hashable {
        public var cost: Double
        public var quality: Double
        /// Share of queries sent to each model.
        public var shares: [Double]
    }

    /// The outcome of sending query i to `assignment[i]`.
    public static func evaluate(_ assignment: [Int], qualities: [[Double]], costs: [[Double]]) -> Point {
        let models = qualities.first?.count ?? 0
        var point = Point(cost: 0, quality: 0, shares: Array(repeating: 0, count: models))
        let n = Double(assignment.count)
        for (query, model) in assignment.enumerated() {
            point.cost += costs[query][model] / n
            point.quality += qualities[query][model] / n
            point.shares[model] += 1 / n
        }
        return point
    }

    /// Every model alone.
    public static func singles(qualities: [[Double]], costs: [[Double]]) -> [Point] {
        let models = qualities.first?.count ?? 0
        return (0..<models).map { model in evaluate(Array(repeating: model, count: qualities.count), qualities: qualities, costs: costs) }
    }

    /// The router's frontier from its success probabilities (one row per query, models cheapest first).
    public static func routerCurve(probabilities: [[Double]], qualities: [[Double]], costs: [[Double]], steps: Int = 400) -> [Point] {
        let models = qualities.first?.count ?? 0
        guard models > 0 else { return [] }
        let topCost = max(1e-12, costs.reduce(0) { $0 + ($1.last ?? 0) } / Double(max(1, costs.count)))
        var lambdas: [Double] = [0]
        for step in 0...steps { lambdas.append(pow(10, -4 + 8 * Double(step) / Double(steps)) / topCost) }
        var points: [Point] = []
        for lambda in lambdas {
            let assignment = probabilities.indices.map { query -> Int in
                var best = 0
                var bestValue = -Double.infinity
                for model in 0..<models {
                    let value = probabilities[query][model] - lambda * costs[query][model]
                    if value > bestValue + 1e-12 {
                        best = model
                        bestValue = value
                    }
                }
                return best
            }
            points.append(evaluate(assignment, qualities: qualities, costs: costs))
        }
        points.append(evaluate(Array(repeating: 0, count: qualities.count), qualities: qualities, costs: costs))
        return frontier(points)
    }

    /// The prompt-length baseline's frontier: shares on a grid of `step` (N ≤ 4 models).
    public static func lengthCurve(lengths: [Int], qualities: [[Double]], costs: [[Double]], step: Double = 0.05) -> [Point] {
        let models = qualities.first?.count ?? 0
        guard (1...4).contains(models) else { return [] }
        let order = lengths.indices.sorted { lengths[$0] < lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        let units = Int((1 / step).rounded())
        var points: [Point] = []
        func compositions(_ remaining: Int, _ parts: Int) -> [[Int]] {
            if parts == 1 { return [[remaining]] }
            return (0...remaining).flatMap { first in compositions(remaining - first, parts - 1).map { [first] + $0 } }
        }
        for shares in compositions(units, models) {
            var assignment = [Int](repeating: 0, count: order.count)
            var position = 0
            for (model, share) in shares.enumerated() {
                let count = model == models - 1 ? order.count - position : Int((Double(share) / Double(units) * Double(order.count)).rounded())
                for rank in position..<min(order.count, position + count) { assignment[order[rank]] = model }
                position = min(order.count, position + count)
            }
            points.append(evaluate(assignment, qualities: qualities, costs: costs))
        }
        return frontier(points)
    }

    /// The points no other point beats on both cost and quality, cheapest first.
    public static func frontier(_ points: [Point]) -> [Point] {
        let sorted = points.sorted { $0.cost < $1.cost || ($0.cost == $1.cost && $0.quality > $1.quality) }
        var kept: [Point] = []
        for point in sorted where point.quality > (kept.last?.quality ?? -.infinity) { kept.append(point) }
        return kept
    }

    /// The cheapest point whose quality reaches `quality`.
    public static func cheapest(_ points: [Point], reaching quality: Double) -> Point? {
        points.filter { $0.quality >= quality - 1e-12 }.min { $0.cost < $1.cost }
    }

    /// The lowest mean cost at which random routing between single models reaches `quality`.
    public static func randomCost(singles: [Point], reaching quality: Double) -> Double? {
        var best: Double?
        for a in singles {
            if a.quality >= quality { best = min(best ?? .infinity, a.cost) }
            for b in singles where a.quality < quality && b.quality >= quality {
                let mix = (quality - a.quality) / (b.quality - a.quality)
                best = min(best ?? .infinity, a.cost + mix * (b.cost - a.cost))
            }
        }
        return best
    }
}

