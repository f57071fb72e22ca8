import Foundation

/// codedpo's ranking (see README, "Beyond the paper"): B4's hypotheses with two changes,
/// each aimed at a failure of B4 seen on the development data and neither adding a tuned
/// parameter (alpha and beta0 are the paper's defaults, gamma is `consensus`'s):
///
/// 1. Soft support. B4 counts as "correct samples" of a hypothesis only the samples with
///    exactly its pass pattern, so a correct solution whose pattern differs from a larger
///    wrong cluster by one test gets no support from its near-identical neighbours. Here the
///    share term counts every sample k with weight Jaccard(P_hypothesis, P_k)^gamma, as
///    `consensus` does (the wrong-sample terms still use the exact members).
/// 2. No empty hypothesis. A pattern that passes no test says "every generated test is
///    wrong"; with many samples that fail everything (broken code), B4 can rank it first.
///    Here it ranks below every pattern that passes a test (as CodeT's score of 0 does).
public struct SoftB4: ScoringStrategy {
    public var alpha: Double
    public var beta0: Double
    public var gamma: Double
    public var multiplicity: Bool

    public init(alpha: Double = 1e3, beta0: Double = 1e4, gamma: Double = 4, multiplicity: Bool = true) {
        self.alpha = alpha
        self.beta0 = beta0
        self.gamma = gamma
        self.multiplicity = multiplicity
    }

    public var name: String { "soft-b4" }
    public var parameters: JSON {
        .object([("alpha", .double(alpha)), ("beta0", .double(beta0)), ("gamma", .double(gamma)), ("multiplicity", .bool(multiplicity))])
    }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let patterns = PassPatterns(matrix, multiplicity: multiplicity)
        let m = matrix.testCount, words = (m + 63) / 64
        // Pass sets of the patterns as bit sets: intersections are popcounts.
        var bits = [UInt64](repeating: 0, count: patterns.count * words)
        for p in 0..<patterns.count {
            for j in 0..<m where matrix.passed(patterns.representative[p], j) { bits[p * words + j / 64] |= 1 << UInt64(j % 64) }
        }
        let soft = (0..<patterns.count).map { p -> Double in
            (0..<patterns.count).reduce(0.0) { total, k in
                var intersection = 0
                for w in 0..<words { intersection += (bits[p * words + w] & bits[k * words + w]).nonzeroBitCount }
                let union = patterns.tests[p] + patterns.tests[k] - intersection
                let similarity = union == 0 ? 1.0 : Double(intersection) / Double(union)
                return total + patterns.support[k] * (k == p ? 1 : pow(similarity, gamma))
            }
        }
        var hypotheses = B4Posterior(alpha: alpha, beta0: beta0).scores(matrix, patterns, multiplicity: multiplicity, solutionShare: soft)
        let passing = (0..<patterns.count).filter { patterns.tests[$0] > 0 }
        if let lowest = passing.map({ hypotheses[$0] }).min() {
            for p in 0..<patterns.count where patterns.tests[p] == 0 { hypotheses[p] = lowest - 1 }
        }
        let codes = patterns.pattern.map { hypotheses[$0] }
        let tests = B4Posterior.testScores(matrix, patterns, hypotheses)
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}
