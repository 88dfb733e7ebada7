import Foundation

/// The training loss and its gradient: weighted logistic loss of every labelled (example, head) pair,
/// averaged over examples, plus L2 penalties.
///
/// Parameters, flattened: `bias[H]`, own weights `W[D×O]` of the first O heads (the routed ones),
/// shared representation `V[D×r]` and loadings `E[H×r]`; head h's logit is
/// `bias[h] + x·W[:,h] + (x·V)·E[h,:]`, without the `W` term for auxiliary heads (h ≥ O), which
/// only shape the shared representation.
struct SuccessObjective: Sendable {
    let matrix: TrainingMatrix
    let ownHeads: Int
    let rank: Int
    let l2: Float
    let sharedL2: Float

    var heads: Int { matrix.heads }
    var dimension: Int { matrix.dimension }
    var biasOffset: Int { 0 }
    var weightOffset: Int { heads }
    var sharedOffset: Int { heads + dimension * ownHeads }
    var loadingOffset: Int { sharedOffset + dimension * rank }
    var parameterCount: Int { loadingOffset + heads * rank }

    /// The loss at `theta`; writes its gradient into `gradient`.
    func evaluate(_ theta: [Float], gradient: inout [Float]) -> Double {
        precondition(theta.count == parameterCount && gradient.count == parameterCount)
        let (H, O, r) = (heads, ownHeads, rank)
        let scale = 1 / Float(max(1, matrix.rows))
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * H + 2 * max(1, r))
        defer { scratch.deallocate() }
        let z = scratch.baseAddress!
        let g = z + H
        let u = g + H
        let t = u + max(1, r)
        var loss = 0.0
        theta.withUnsafeBufferPointer { thetaBuffer in
            gradient.withUnsafeMutableBufferPointer { gradientBuffer in
                matrix.indices.withUnsafeBufferPointer { idx in
                    matrix.values.withUnsafeBufferPointer { val in
                        matrix.rowStart.withUnsafeBufferPointer { rowStart in
                            matrix.labels.withUnsafeBufferPointer { labels in
                                matrix.weights.withUnsafeBufferPointer { weights in
                                    let p = thetaBuffer.baseAddress!
                                    let grad = gradientBuffer.baseAddress!
                                    grad.update(repeating: 0, count: parameterCount)
                                    let ownWeights = p + weightOffset
                                    let ownGradient = grad + weightOffset
                                    let shared = p + sharedOffset
                                    let sharedGradient = grad + sharedOffset
                                    let loadings = p + loadingOffset
                                    let loadingGradient = grad + loadingOffset
                                    for row in 0..<matrix.rows {
                                        let start = rowStart[row]
                                        let end = rowStart[row + 1]
                                        for h in 0..<H { z[h] = p[h] }
                                        for k in 0..<r { u[k] = 0 }
                                        for entry in start..<end {
                                            let f = Int(idx[entry])
                                            let x = val[entry]
                                            let w = ownWeights + f * O
                                            for h in 0..<O { z[h] += x * w[h] }
                                            let v = shared + f * r
                                            for k in 0..<r { u[k] += x * v[k] }
                                        }
                                        var any = false
                                        for h in 0..<H {
                                            let weight = weights[row * H + h]
                                            guard weight > 0 else {
                                                g[h] = 0
                                                continue
                                            }
                                            var logit = z[h]
                                            let e = loadings + h * r
                                            for k in 0..<r { logit += u[k] * e[k] }
                                            any = true
                                            let y = labels[row * H + h]
                                            // log(1 + e^z) − y·z, computed stably.
                                            let softplus = logit > 0 ? logit + log1p(exp(-logit)) : log1p(exp(logit))
                                            loss += Double(weight * (softplus - y * logit))
                                            g[h] = weight * (1 / (1 + exp(-logit)) - y) * scale
                                        }
                                        guard any else { continue }
                                        for k in 0..<r { t[k] = 0 }
                                        for h in 0..<H where g[h] != 0 {
                                            grad[h] += g[h]
                                            let e = loadings + h * r
                                            let eg = loadingGradient + h * r
                                            for k in 0..<r {
                                                eg[k] += g[h] * u[k]
                                                t[k] += g[h] * e[k]
                                            }
                                        }
                                        for entry in start..<end {
                                            let f = Int(idx[entry])
                                            let x = val[entry]
                                            let wg = ownGradient + f * O
                                            for h in 0..<O { wg[h] += x * g[h] }
                                            let vg = sharedGradient + f * r
                                            for k in 0..<r { vg[k] += x * t[k] }
                                        }
                                    }
                                    // Penalties: λ/2‖W‖² and λs/2(‖V‖² + ‖E‖²).
                                    var penalty = 0.0
                                    var partial = 0.0
                                    for index in weightOffset..<sharedOffset {
                                        partial += Double(p[index] * p[index])
                                        grad[index] += l2 * p[index]
                                    }
                                    penalty += Double(l2) / 2 * partial
                                    partial = 0
                                    for index in sharedOffset..<parameterCount {
                                        partial += Double(p[index] * p[index])
                                        grad[index] += sharedL2 * p[index]
                                    }
                                    penalty += Double(sharedL2) / 2 * partial
                                    loss = loss * Double(scale) + penalty
                                }
                            }
                        }
                    }
                }
            }
        }
        return loss
    }
}
