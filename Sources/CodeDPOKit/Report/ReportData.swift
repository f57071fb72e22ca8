import Foundation

/// Everything `codedpo report` shows, as plain values. Loading (`ReportData+Load`,
/// `ReportFocus`) only reads, never executes code (not even missing ground-truth verdicts),
/// and holds one problem at a time; the computations are pure (`ReportMath`); rendering
/// (`HTMLReport`, `SVGCharts`) only formats these values.
public struct ReportData: Sendable {
    /// One row of the per-stage counts table.
    public struct Count: Sendable, Equatable {
        public var stage: String
        public var item: String
        public var value: Int

        public init(stage: String, item: String, value: Int) {
            self.stage = stage
            self.item = item
            self.value = value
        }
    }

    public struct ScoreRunInfo: Sendable, Equatable {
        public var id: Int64
        public var strategy: String
        public var parameters: String
        public var configID: Int64
        public var testKind: String
        public var finalIteration: Int
        public var problemsScored: Int
        public var createdAt: String

        public init(id: Int64, strategy: String, parameters: String = "{}", configID: Int64 = 1, testKind: String = "generated",
                    finalIteration: Int = 0, problemsScored: Int = 0, createdAt: String = "") {
            self.id = id
            self.strategy = strategy
            self.parameters = parameters
            self.configID = configID
            self.testKind = testKind
            self.finalIteration = finalIteration
            self.problemsScored = problemsScored
            self.createdAt = createdAt
        }

        public var label: String { "score run \(id) (\(strategy))" }
    }

    /// Final scores of the chosen score run, each divided by the best score of its problem
    /// (so 1 is a problem's top; see `normalize`).
    public struct Distribution: Sendable, Equatable {
        public var solutionScores: [Double] = []
        public var testScores: [Double] = []
        public var problems = 0

        public init(solutionScores: [Double] = [], testScores: [Double] = [], problems: Int = 0) {
            self.solutionScores = solutionScores
            self.testScores = testScores
            self.problems = problems
        }
    }

    /// One test's normalized score at every iteration.
    public struct Trajectory: Sendable, Equatable {
        public var testID: Int64
        public var problem: String
        public var code: String
        public var values: [Double]
        /// Judged by the ground truth: false = no correct solution passes it (a wrong test),
        /// true = every correct solution passes it; nil = not known.
        public var right: Bool?
        public var passedBy: Int

        public init(testID: Int64, problem: String, code: String, values: [Double], right: Bool?, passedBy: Int) {
            self.testID = testID
            self.problem = problem
            self.code = code
            self.values = values
            self.right = right
            self.passedBy = passedBy
        }
    }

    /// How an iterative score run settled, iteration by iteration (index k: the change from
    /// iteration k-1 to k; index 0 is 0).
    public struct Convergence: Sendable, Equatable {
        public var run: ScoreRunInfo
        /// Mean |change| of normalized solution scores.
        public var solutionChange: [Double] = []
        /// Mean |change| of normalized test scores.
        public var testChange: [Double] = []
        /// Share of problems whose set of top-scored solutions changed.
        public var topChanged: [Double] = []
        /// Mean normalized score of wrong / right tests per iteration (nil without ground truth).
        public var wrongTestMean: [Double]?
        public var rightTestMean: [Double]?
        public var wrongTests = 0
        public var rightTests = 0
        public var trajectories: [Trajectory] = []

        public init(run: ScoreRunInfo) { self.run = run }

        public var iterations: Int { solutionChange.count }
    }

    public struct MatrixSolution: Sendable, Equatable {
        public var id: Int64
        public var score: Double
        /// score / the problem's best score.
        public var normalized: Double
        public var samples: Int
        public var code: String
        /// Passes every ground-truth test (nil: no ground truth, or verdicts missing).
        public var correct: Bool?

        public init(id: Int64, score: Double, normalized: Double, samples: Int, code: String, correct: Bool? = nil) {
            self.id = id
            self.score = score
            self.normalized = normalized
            self.samples = samples
            self.code = code
            self.correct = correct
        }
    }

    public struct MatrixTest: Sendable, Equatable {
        public var id: Int64
        /// Final score (nil for ground-truth tests, which are not scored).
        public var score: Double?
        public var normalized: Double?
        public var code: String

        public init(id: Int64, score: Double?, normalized: Double?, code: String) {
            self.id = id
            self.score = score
            self.normalized = normalized
            self.code = code
        }
    }

    /// One problem's pass matrix under the chosen score run: solutions by final score
    /// (best first), tests by final score (most trusted first), ground-truth tests apart.
    public struct ProblemMatrix: Sendable, Equatable {
        public var problemID: Int64
        public var externalID: String
        public var prompt: String
        public var entryPoint: String?
        public var solutions: [MatrixSolution]
        public var tests: [MatrixTest]
        public var groundTruth: [MatrixTest]
        /// Verdict status per (solution, test) by id; absent = not executed.
        public var verdicts: [Int64: [Int64: String]]
        /// Chosen and rejected solutions of the correctness pairs (of `pairSet`).
        public var pairs: [(chosen: Int64, rejected: Int64)]
        public var why: String

        public init(problemID: Int64, externalID: String, prompt: String = "", entryPoint: String? = nil, solutions: [MatrixSolution], tests: [MatrixTest],
                    groundTruth: [MatrixTest] = [], verdicts: [Int64: [Int64: String]], pairs: [(chosen: Int64, rejected: Int64)] = [],
                    why: String = "") {
            self.problemID = problemID
            self.externalID = externalID
            self.prompt = prompt
            self.entryPoint = entryPoint
            self.solutions = solutions
            self.tests = tests
            self.groundTruth = groundTruth
            self.verdicts = verdicts
            self.pairs = pairs
            self.why = why
        }

        public func status(_ solution: Int64, _ test: Int64) -> String? { verdicts[solution]?[test] }

        public static func == (lhs: ProblemMatrix, rhs: ProblemMatrix) -> Bool {
            lhs.problemID == rhs.problemID && lhs.solutions == rhs.solutions && lhs.tests == rhs.tests
                && lhs.groundTruth == rhs.groundTruth && lhs.verdicts == rhs.verdicts
                && lhs.pairs.map(\.chosen) == rhs.pairs.map(\.chosen) && lhs.pairs.map(\.rejected) == rhs.pairs.map(\.rejected)
        }
    }

    /// One strategy's latest score run held against the ground truth.
    public struct StrategyResult: Sendable, Equatable {
        public var run: ScoreRunInfo
        /// nil when not evaluated (ground-truth verdicts missing) or no problem has ground truth.
        public var topPassRate: Double?
        public var randomPassRate: Double?
        public var spearman: Double?
        public var pairPrecision: Double?
        public var problems: Int
        public var missingVerdicts: Int

        public init(run: ScoreRunInfo, topPassRate: Double?, randomPassRate: Double?, spearman: Double? = nil,
                    pairPrecision: Double? = nil, problems: Int, missingVerdicts: Int) {
            self.run = run
            self.topPassRate = topPassRate
            self.randomPassRate = randomPassRate
            self.spearman = spearman
            self.pairPrecision = pairPrecision
            self.problems = problems
            self.missingVerdicts = missingVerdicts
        }
    }

    public struct Speedup: Sendable, Equatable {
        public var problem: String
        public var chosen: Int64
        public var rejected: Int64
        public var chosenMedian: Double
        public var rejectedMedian: Double
        public var unit: String

        public init(problem: String, chosen: Int64, rejected: Int64, chosenMedian: Double, rejectedMedian: Double, unit: String) {
            self.problem = problem
            self.chosen = chosen
            self.rejected = rejected
            self.chosenMedian = chosenMedian
            self.rejectedMedian = rejectedMedian
            self.unit = unit
        }

        public var speedup: Double { chosenMedian > 0 ? rejectedMedian / chosenMedian : .infinity }
    }

    public struct Efficiency: Sendable, Equatable {
        public var pairSet: String
        public var efficiencyRunID: Int64
        public var minSpeedup: Double
        public var speedups: [Speedup]

        public init(pairSet: String, efficiencyRunID: Int64, minSpeedup: Double, speedups: [Speedup]) {
            self.pairSet = pairSet
            self.efficiencyRunID = efficiencyRunID
            self.minSpeedup = minSpeedup
            self.speedups = speedups
        }
    }

    public var databasePath: String
    public var toolVersion: String
    public var generatedAt: String
    public var counts: [Count] = []
    public var executionStatuses: [(status: String, count: Int)] = []
    public var scoreRuns: [ScoreRunInfo] = []
    /// The run the report focuses on (sections 2-4).
    public var scoreRun: ScoreRunInfo?
    public var distribution = Distribution()
    public var convergence: Convergence?
    /// Why there is no convergence section (a one-iteration strategy, no self-validation run).
    public var convergenceNote: String?
    /// The pair set whose correctness pairs mark the matrices.
    public var pairSet: String?
    public var problems: [ProblemMatrix] = []
    /// The problems asked for with `Options.problems` (empty: the report chose).
    public var requestedProblems: [String] = []
    public var strategies: [StrategyResult] = []
    public var groundTruthTests = 0
    public var efficiency: Efficiency?
    public var efficiencyNote: String?

    public init(databasePath: String, toolVersion: String = CodeDPO.version, generatedAt: String) {
        self.databasePath = databasePath
        self.toolVersion = toolVersion
        self.generatedAt = generatedAt
    }

    // MARK: Loading

    public struct Options: Sendable {
        /// Focus on this score run (default: the latest self-validation run, else the latest).
        public var scoreRun: Int64?
        /// Pass matrices shown, at most.
        public var matrices = 6
        /// Show the pass matrices of these problems (external ids), in this order, instead of
        /// choosing.
        public var problems: [String] = []
        /// Test trajectories drawn, at most.
        public var trajectories = 6
        public var generatedAt: Date = Date()

        public init(scoreRun: Int64? = nil) { self.scoreRun = scoreRun }
    }


    /// Divides each value by the largest of its group (a problem): 1 is the group's best
    /// (see `ReportMath.normalize`).
    public static func normalize(_ values: [Double]) -> [Double] { ReportMath.normalize(values) }
}
