import TierflowCore

/// RouteLLM's metrics for routing between a weak and a strong model.
///
/// With a score per query and a threshold t, queries scoring ≥ t go to the strong model. For each
/// threshold, x is the share of strong calls and PGR = (quality(routed) − quality(weak)) /
/// (quality(strong) − quality(weak)). APGR is the area under PGR against x on [0, 1]; CPT(p) is the
/// smallest share of strong calls whose PGR reaches p.
public struct TwoModelMetrics: Sendable, Hashable {
    /// One point of the PGR curve.
    public struct Point: Sendable, Hashable {
        public var strongShare: Double
        public var quality: Double
        public var pgr: Double
    }

    public var weakQuality: Double
    public var strongQuality: Double
    /// Every achievable point, from no strong calls to all (queries with equal scores move together).
    public var curve: [Point]
    /// The exact area under the curve (trapezoids between achievable points).
    public var apgr: Double
    /// APGR as RouteLLM's evaluate.py computes it: thresholds at the 11 deciles of the scores.
    public var apgrDeciles: Double

    /// Measures `scores` against per-query qualities of the weak and strong model.
    public init(scores: [Double], weak: [Double], strong: [Double]) {
        precondition(scores.count == weak.count && weak.count == strong.count && !scores.isEmpty, "one score and two qualities per query")
        let n = Double(scores.count)
        weakQuality = weak.reduce(0, +) / n
        strongQuality = strong.reduce(0, +) / n
        let gap = strongQuality - weakQuality
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var quality = weakQuality
        var points = [Point(strongShare: 0, quality: quality, pgr: 0)]
        var position = 0
        while position < order.count {
            var end = position
            while end < order.count, scores[order[end]] == scores[order[position]] {
                quality += (strong[order[end]] - weak[order[end]]) / n
                end += 1
            }
            points.append(Point(strongShare: Double(end) / n, quality: quality, pgr: gap == 0 ? 0 : (quality - weakQuality) / gap))
            position = end
        }
        curve = points
        apgr = Self.area(points.map { ($0.strongShare, $0.pgr) })

        // RouteLLM: pd.qcut(scores, 10, retbins=True) thresholds; ≥ threshold, except > for the last.
        let sorted = scores.sorted()
        var decilePoints: [(Double, Double)] = []
        for decile in 0...10 {
            let threshold = Self.quantile(sorted, Double(decile) / 10)
            var routed = 0.0
            var strongCalls = 0
            for index in scores.indices {
                let toStrong = decile < 10 ? scores[index] >= threshold : scores[index] > threshold
                routed += toStrong ? strong[index] : weak[index]
                strongCalls += toStrong ? 1 : 0
            }
            let share = Double(strongCalls) / n
            decilePoints.append((share, gap == 0 ? 0 : (routed / n - weakQuality) / gap))
        }
        decilePoints.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        apgrDeciles = Self.area(decilePoints)
    }

    /// CPT(p): the smallest share of strong calls at which PGR reaches `fraction` (interpolating linearly
    /// between achievable points), or nil if it never does.
    public func cpt(_ fraction: Double) -> Double? {
        guard let first = curve.first, first.pgr < fraction else { return curve.first.map { _ in 0 } }
        for (previous, point) in zip(curve, curve.dropFirst()) where point.pgr >= fraction {
            let rise = point.pgr - previous.pgr
            let t = rise > 0 ? (fraction - previous.pgr) / rise : 1
            return previous.strongShare + t * (point.strongShare - previous.strongShare)
        }
        return nil
    }

    /// Trapezoidal area of `(x, y)` points sorted by x.
    static func area(_ points: [(Double, Double)]) -> Double {
        zip(points, points.dropFirst()).reduce(0) { $0 + ($1.1.0 - $1.0.0) * ($1.0.1 + $1.1.1) / 2 }
    }

    /// The linearly interpolated quantile of sorted values (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }
}

extension TwoModelMetrics {
    /// The mean APGR (exact and deciles) of `trials` random routers on the same data, seeded.
    public static func randomBaseline(weak: [Double], strong: [Double], trials: Int = 100, seed: UInt64 = 1) -> (apgr: Double, apgrDeciles: Double) {
        var random = SeededRandom(seed: seed)
        var exact = 0.0
        var deciles = 0.0
        for _ in 0..<trials {
            let scores = weak.map { _ in random.unit() }
            let metrics = TwoModelMetrics(scores: scores, weak: weak, strong: strong)
            exact += metrics.apgr
            deciles += metrics.apgrDeciles
        }
        return (exact / Double(trials), deciles / Double(trials))
    }
}
