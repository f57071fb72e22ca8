import Foundation

/// B4 (Chen et al., "B4: Towards Optimal Assessment of Plausible Code Solutions with
/// Plausible Tests", ASE 2024): every distinct pass pattern is a hypothesis, "the tests this
/// pattern passes are the correct tests and the solutions with exactly this pattern are the
/// correct solutions", scored by its log posterior under Beta-Bernoulli models:
///
///     log B(|y| + alpha, m - |y| + 1)                 share of tests assumed correct
///   + log B(|x| + alpha, N - |x| + 1)                 share of samples assumed correct
///   + log B(s1 + 1, n1 - s1 + 1)                      wrong samples passing correct tests
///   + log B(s0 + 1, n0 - s0 + beta0)                  wrong samples passing wrong tests
///
/// (B is the Beta function; m tests, N samples, |y| tests and |x| samples in the
/// hypothesis; s1 of the n1 = (N - |x|) |y| cells of wrong samples on assumed-correct tests
/// pass, s0 of the n0 = (N - |x|) (m - |y|) cells on assumed-wrong tests.) alpha makes both
/// shares lean towards "most are correct"; a large beta0 says wrong code rarely passes a
/// wrong test. Every solution scores its pattern's hypothesis. As in the paper's reference
/// implementation, a solution sampled k times is k rows (`multiplicity`); tests are the
/// distinct columns. A test scores the best hypothesis that holds it correct (a test no
/// solution passes: below every hypothesis).
public struct B4: ScoringStrategy {
    public var alpha: Double
    public var beta0: Double
    public var multiplicity: Bool

    /// The paper's defaults: alpha 1e3, beta0 one of 1e4, 1e5, 1e6.
    public init(alpha: Double = 1e3, beta0: Double = 1e4, multiplicity: Bool = true) {
        self.alpha = alpha
        self.beta0 = beta0
        self.multiplicity = multiplicity
    }

    public var name: String { "b4" }
    public var parameters: JSON {
        .object([("alpha", .double(alpha)), ("beta0", .double(beta0)), ("multiplicity", .bool(multiplicity))])
    }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let patterns = PassPatterns(matrix, multiplicity: multiplicity)
        let hypotheses = B4Posterior(alpha: alpha, beta0: beta0)
            .scores(matrix, patterns, multiplicity: multiplicity, solutionShare: patterns.support)
        let codes = patterns.pattern.map { hypotheses[$0] }
        let tests = B4Posterior.testScores(matrix, patterns, hypotheses)
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}

/// B4's log posterior of every pattern's hypothesis, shared by `B4` and `SoftB4`.
struct B4Posterior {
    let alpha: Double
    let beta0: Double

    /// log B(a, b), the log of the Beta function.
    static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// `solutionShare[p]`: the samples counted as correct in the share term of pattern p's
    /// hypothesis (B4: its own support; SoftB4: its soft support). The wrong-sample terms
    /// always use the exact members of the pattern.
    func scores(_ matrix: PassMatrix, _ patterns: PassPatterns, multiplicity: Bool, solutionShare: [Double]) -> [Double] {
        let n = matrix.solutionCount, m = matrix.testCount
        let weight = (0..<n).map { multiplicity ? Double(matrix.solutionCounts[$0]) : 1 }
        let samples = weight.reduce(0, +)
        // Samples passing each test: the wrong samples' passes follow by subtracting the
        // hypothesis's own members, so each hypothesis costs O(m).
        var columnPasses = [Double](repeating: 0, count: m)
        for i in 0..<n { for j in 0..<m where matrix.passed(i, j) { columnPasses[j] += weight[i] } }
        return (0..<patterns.count).map { p in
            let row = patterns.representative[p]
            let members = patterns.support[p]
            let correctTests = Double(patterns.tests[p])
            var passesOnCorrect = 0.0, passesOnWrong = 0.0
            for j in 0..<m {
                if matrix.passed(row, j) { passesOnCorrect += columnPasses[j] } else { passesOnWrong += columnPasses[j] }
            }
            let s1 = passesOnCorrect - members * correctTests
            let n1 = (samples - members) * correctTests
            let n0 = (samples - members) * (Double(m) - correctTests)
            let share = min(solutionShare[p], samples)
            return Self.logBeta(correctTests + alpha, Double(m) - correctTests + 1)
                + Self.logBeta(share + alpha, samples - share + 1)
                + Self.logBeta(s1 + 1, n1 - s1 + 1)
                + Self.logBeta(passesOnWrong + 1, n0 - passesOnWrong + beta0)
        }
    }

    /// A test scores the best hypothesis that holds it correct; a test no solution passes
    /// scores below every hypothesis.
    static func testScores(_ matrix: PassMatrix, _ patterns: PassPatterns, _ hypotheses: [Double]) -> [Double] {
        let floor = (hypotheses.min() ?? 0) - 1
        return (0..<matrix.testCount).map { j in
            (0..<patterns.count).filter { matrix.passed(patterns.representative[$0], j) }.map { hypotheses[$0] }.max() ?? floor
        }
    }
}
