import Foundation

/// codedpo's ranking (see README, "Beyond the paper"): soft-b4 decides which pass pattern
/// is most plausibly the correct one; among the solutions that tie there, the ones whose
/// whole behaviour (every test's `OutcomeSignature`: pass, or how it failed) is shared by
/// the most samples come first, i.e. MBR-exec over outcomes inside the hypothesis.
///
/// Why: a pass pattern is often shared by correct solutions and wrong ones (on the dev data,
/// the top pattern mixes them in 29 of 82 CodeT problems); the tests cannot tell them apart
/// by pass/fail, but wrong code usually fails the wrong tests differently (another value,
/// another exception) than the majority. No parameter is added: alpha, beta0 and gamma are
/// soft-b4's. Without outcomes (verdicts with no messages) it ranks as soft-b4.
///
/// The score keeps soft-b4's log posterior and adds the tie-break as a fraction of half the
/// smallest gap between distinct hypothesis scores, so no solution crosses into another
/// hypothesis's place and differences between hypotheses stay readable.
public struct SoftB4Outcomes: ScoringStrategy {
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

    public var name: String { "soft-b4-outcomes" }
    public var parameters: JSON {
        .object([("alpha", .double(alpha)), ("beta0", .double(beta0)), ("gamma", .double(gamma)), ("multiplicity", .bool(multiplicity))])
    }
    public var usesOutcomes: Bool { true }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        var result = SoftB4(alpha: alpha, beta0: beta0, gamma: gamma, multiplicity: multiplicity).score(matrix)
        let hypotheses = result.finalSolutionScores
        let support = Self.outcomeSupport(matrix, multiplicity: multiplicity)
        let samples = support.isEmpty ? 1 : matrix.solutionCounts.indices.reduce(0.0) { $0 + (multiplicity ? Double(matrix.solutionCounts[$1]) : 1) }
        let distinct = Array(Set(hypotheses)).sorted()
        let gap = zip(distinct, distinct.dropFirst()).map { $1 - $0 }.min() ?? 1
        // support / (samples + 1) < 1, so the tie-break stays below half the gap.
        let codes = hypotheses.indices.map { hypotheses[$0] + gap / 2 * support[$0] / (samples + 1) }
        result.solutionScores[result.solutionScores.count - 1] = codes
        return result
    }

    /// Samples whose outcomes on every test equal solution i's (i included); with no
    /// outcomes, the pass pattern stands for them.
    static func outcomeSupport(_ matrix: PassMatrix, multiplicity: Bool) -> [Double] {
        let m = matrix.testCount
        let rows: [[Int32]] = (0..<matrix.solutionCount).map { i in
            if let outcomes = matrix.outcomes { return Array(outcomes[(i * m)..<((i + 1) * m)]) }
            return (0..<m).map { matrix.passed(i, $0) ? 0 : 1 }
        }
        var total: [[Int32]: Double] = [:]
        for (i, row) in rows.enumerated() { total[row, default: 0] += multiplicity ? Double(matrix.solutionCounts[i]) : 1 }
        return rows.map { total[$0]! }
    }
}
