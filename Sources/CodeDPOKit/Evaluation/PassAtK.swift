/// pass@k, pure: the unbiased estimator of Chen et al. (2021, "Evaluating Large Language
/// Models Trained on Code"): with n samples of which c are correct,
/// pass@k = 1 - C(n-c, k) / C(n, k), computed as a product so large n does not overflow.
public enum PassAtK {
    /// nil when k > n (the estimator is undefined: more draws than samples) or k < 1.
    public static func estimate(samples n: Int, correct c: Int, k: Int) -> Double? {
        guard k >= 1, k <= n, c >= 0, c <= n else { return nil }
        if c == 0 { return 0 }
        if n - c < k { return 1 }
        // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
        var remaining = 1.0
        for i in (n - c + 1)...n { remaining *= 1 - Double(k) / Double(i) }
        return 1 - remaining
    }

    /// Mean of per-problem estimates; nil when any problem has fewer than k samples.
    public static func mean(_ problems: [(samples: Int, correct: Int)], k: Int) -> Double? {
        guard !problems.isEmpty else { return nil }
        var total = 0.0
        for problem in problems {
            guard let value = estimate(samples: problem.samples, correct: problem.correct, k: k) else { return nil }
            total += value
        }
        return total / Double(problems.count)
    }
}

/// Two models on the same problems: the mean of the per-problem differences (A - B) and a
/// normal 95% interval from their standard error (the problems are the pairing unit).
public struct PairedDifference: Sendable, Equatable {
    public var problems: Int
    public var mean: Double
    public var standardError: Double
    public var low: Double { mean - 1.96 * standardError }
    public var high: Double { mean + 1.96 * standardError }

    public static func of(_ a: [Double], _ b: [Double]) -> PairedDifference? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        let differences = zip(a, b).map { $0 - $1 }
        let n = Double(differences.count)
        let mean = differences.reduce(0, +) / n
        guard differences.count > 1 else { return PairedDifference(problems: 1, mean: mean, standardError: 0) }
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return PairedDifference(problems: differences.count, mean: mean, standardError: (variance / n).squareRoot())
    }
}
