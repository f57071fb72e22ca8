/// One problem's verdicts as a matrix: rows are solutions, columns tests, true = pass
/// (Link(c, t) = 1 in the paper). Multiplicities say how many times each solution and test
/// was sampled (deduplicated rows stand for that many samples).
public struct PassMatrix: Sendable, Equatable {
    public let solutions: [Int64]
    public let tests: [Int64]
    public let solutionCounts: [Int]
    public let testCounts: [Int]
    /// passes[i * tests.count + j]: solution i passes test j.
    public let passes: [Bool]
    /// outcomes[i * tests.count + j]: how solution i ended on test j, as an id of its
    /// `OutcomeSignature` within this problem (0: passed; equal ids: the same failure). Loaded
    /// only for strategies that read it (`ScoringStrategy.usesOutcomes`); nil otherwise.
    public let outcomes: [Int32]?

    public init(solutions: [Int64], tests: [Int64], solutionCounts: [Int]? = nil, testCounts: [Int]? = nil, passes: [Bool],
                outcomes: [Int32]? = nil) {
        precondition(passes.count == solutions.count * tests.count, "pass matrix has the wrong size")
        precondition(outcomes.map { $0.count == passes.count } ?? true, "outcome matrix has the wrong size")
        self.solutions = solutions
        self.tests = tests
        self.solutionCounts = solutionCounts ?? Array(repeating: 1, count: solutions.count)
        self.testCounts = testCounts ?? Array(repeating: 1, count: tests.count)
        self.passes = passes
        self.outcomes = outcomes
    }

    /// A matrix from rows of 0/1 (for tests and examples): rows[i][j] = solution i passes test j.
    /// With `outcomes`, rows of outcome ids instead (0 = pass, equal ids = the same failure).
    public init(_ rows: [[Int]], solutionCounts: [Int]? = nil, testCounts: [Int]? = nil, outcomes: [[Int]]? = nil) {
        let columns = rows.first?.count ?? 0
        self.init(solutions: (0..<rows.count).map { Int64($0 + 1) }, tests: (0..<columns).map { Int64($0 + 1) },
                  solutionCounts: solutionCounts, testCounts: testCounts, passes: rows.flatMap { $0.map { $0 != 0 } },
                  outcomes: outcomes.map { $0.flatMap { $0.map { Int32($0) } } })
    }

    public var solutionCount: Int { solutions.count }
    public var testCount: Int { tests.count }

    @inline(__always) public func passed(_ solution: Int, _ test: Int) -> Bool { passes[solution * tests.count + test] }

    /// Tests passed by solution `i`.
    public func passCount(_ i: Int) -> Int { (0..<tests.count).reduce(0) { $0 + (passed(i, $1) ? 1 : 0) } }
}

/// Scores of every solution and test at every iteration; iteration 0 is the initial value.
/// One-shot strategies have iteration 0 (all equal) and iteration 1 (the result).
public struct ScoreResult: Sendable, Equatable {
    public var solutionScores: [[Double]]
    public var testScores: [[Double]]
    /// log10 of the factor all scores of an iteration were divided by (0: none), when the
    /// values had to be rescaled to stay finite. Rankings are unchanged by it.
    public var scaleLog10: [Double]

    public var iterations: Int { solutionScores.count - 1 }
    public var finalSolutionScores: [Double] { solutionScores.last ?? [] }
    public var finalTestScores: [Double] { testScores.last ?? [] }
}
