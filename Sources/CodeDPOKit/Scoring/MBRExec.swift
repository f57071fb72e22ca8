/// MBR-exec (Shi et al. 2022), as the B4 paper reports it: a solution scores the number of
/// samples whose pass pattern is identical to its own (execution equivalence); how many
/// tests the pattern passes does not count. A test scores the samples that pass it.
public struct MBRExec: ScoringStrategy {
    public var multiplicity: Bool

    public init(multiplicity: Bool = true) { self.multiplicity = multiplicity }

    public var name: String { "mbr-exec" }
    public var parameters: JSON { .object([("multiplicity", .bool(multiplicity))]) }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let patterns = PassPatterns(matrix, multiplicity: multiplicity)
        let codes = patterns.pattern.map { patterns.support[$0] }
        let tests = (0..<matrix.testCount).map { j in
            (0..<matrix.solutionCount).reduce(0.0) { $0 + (matrix.passed($1, j) ? (multiplicity ? Double(matrix.solutionCounts[$1]) : 1) : 0) }
        }
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}
