/// Limited-memory BFGS with a backtracking (Armijo) line search; deterministic.
struct LBFGSMinimizer {
    /// Curvature pairs kept.
    var memory = 8
    /// Stop when the loss improves by less than this, relative.
    var tolerance = 1e-8

    /// What happened.
    struct Outcome {
        var loss: Double
        var iterations: Int
        var evaluations: Int
    }

    /// Minimises `objective` from `x` (updated in place) for at most `iterations` iterations.
    /// `objective(x, &gradient)` returns the loss and writes the gradient; `progress(iteration, loss)` is told each step.
    func minimize(
        _ x: inout [Float], iterations: Int, objective: (_ x: [Float], _ gradient: inout [Float]) -> Double,
        progress: (Int, Double) -> Void = { _, _ in }
    ) -> Outcome {
        let n = x.count
        var gradient = [Float](repeating: 0, count: n)
        var loss = objective(x, &gradient)
        var evaluations = 1
        var steps: [[Float]] = []
        var changes: [[Float]] = []
        var rhos: [Double] = []
        var direction = [Float](repeating: 0, count: n)
        var candidate = [Float](repeating: 0, count: n)
        var candidateGradient = [Float](repeating: 0, count: n)
        var iteration = 0
        while iteration < iterations {
            iteration += 1
            // Two-loop recursion: direction = −H·g.
            for i in 0..<n { direction[i] = -gradient[i] }
            var alphas = [Double](repeating: 0, count: steps.count)
            for j in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[j] = rhos[j] * Self.dot(steps[j], direction)
                Self.axpy(Float(-alphas[j]), changes[j], &direction)
            }
            if let lastStep = steps.last, let lastChange = changes.last {
                let gamma = Self.dot(lastStep, lastChange) / max(Self.dot(lastChange, lastChange), 1e-30)
                for i in 0..<n { direction[i] *= Float(gamma) }
            }
            for j in 0..<steps.count {
                let beta = rhos[j] * Self.dot(changes[j], direction)
                Self.axpy(Float(alphas[j] - beta), steps[j], &direction)
            }
            var slope = Self.dot(gradient, direction)
            if !(slope < 0) {
                // Not a descent direction: forget the curvature and follow the gradient.
                steps.removeAll()
                changes.removeAll()
                rhos.removeAll()
                for i in 0..<n { direction[i] = -gradient[i] }
                slope = Self.dot(gradient, direction)
                if !(slope < 0) { break }
            }
            var step = steps.isEmpty ? min(1, 1 / max(Self.dot(gradient, gradient).squareRoot(), 1e-12)) : 1.0
            var accepted = false
            var newLoss = loss
            for _ in 0..<30 {
                for i in 0..<n { candidate[i] = x[i] + Float(step) * direction[i] }
                newLoss = objective(candidate, &candidateGradient)
                evaluations += 1
                if newLoss.isFinite && newLoss <= loss + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            guard accepted else { break }
            var s = [Float](repeating: 0, count: n)
            var y = [Float](repeating: 0, count: n)
            for i in 0..<n {
                s[i] = candidate[i] - x[i]
                y[i] = candidateGradient[i] - gradient[i]
            }
            let curvature = Self.dot(s, y)
            if curvature > 1e-12 {
                if steps.count == memory {
                    steps.removeFirst()
                    changes.removeFirst()
                    rhos.removeFirst()
                }
                steps.append(s)
                changes.append(y)
                rhos.append(1 / curvature)
            }
            swap(&x, &candidate)
            swap(&gradient, &candidateGradient)
            let improvement = loss - newLoss
            loss = newLoss
            progress(iteration, loss)
            if improvement < tolerance * max(1, abs(loss)) { break }
        }
        return Outcome(loss: loss, iterations: iteration, evaluations: evaluations)
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        var sum = 0.0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var partial: Float = 0
                for i in 0..<a.count {
                    partial += a[i] * b[i]
                    if i & 1023 == 1023 {
                        sum += Double(partial)
                        partial = 0
                    }
                }
                sum += Double(partial)
            }
        }
        return sum
    }

    static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) {
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] += alpha * x[i] }
            }
        }
    }
}
