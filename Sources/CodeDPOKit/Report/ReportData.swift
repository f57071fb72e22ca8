import Foundation

/// Everything `codedpo report` shows, read from a database into plain values. Loading only
/// reads (it never executes code, not even missing ground-truth verdicts); rendering
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

    /// Divides each value by the largest of its group (a problem): 1 is the group's best.
    /// A group whose largest value is not positive is shifted to start at 0 and divided by
    /// its range (all 0 when every value ties).
    public static func normalize(_ values: [Double]) -> [Double] {
        guard let top = values.max(), let bottom = values.min() else { return [] }
        if top > 0 && bottom >= 0 { return values.map { $0 / top } }
        let range = top - bottom
        return values.map { range > 0 ? ($0 - bottom) / range : 0 }
    }

    public static func load(_ db: Database, options: Options = Options()) throws -> ReportData {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var data = ReportData(databasePath: db.path, generatedAt: formatter.string(from: options.generatedAt))
        try data.loadCounts(db)
        data.scoreRuns = try db.rows("""
            SELECT id, strategy, parameters, config_id, test_kind, final_iteration, problems_scored, created_at
            FROM score_runs ORDER BY id
            """).map { row in
            ScoreRunInfo(id: row[0].int64!, strategy: row[1].string!, parameters: row[2].string ?? "{}", configID: row[3].int64!,
                         testKind: row[4].string ?? "generated", finalIteration: row[5].int ?? 0, problemsScored: row[6].int ?? 0,
                         createdAt: row[7].string ?? "")
        }
        if let wanted = options.scoreRun {
            guard let run = data.scoreRuns.first(where: { $0.id == wanted }) else {
                throw StoreError("no score run \(wanted): list them with `codedpo score-runs`")
            }
            data.scoreRun = run
        } else {
            data.scoreRun = data.scoreRuns.last { $0.strategy == "self-validation" } ?? data.scoreRuns.last
        }
        data.groundTruthTests = try db.int("SELECT count(*) FROM tests WHERE kind = 'ground_truth'") ?? 0
        if let run = data.scoreRun {
            let focus = try Focus.load(db, run: run)
            data.distribution = focus.distribution
            if run.strategy == "self-validation" && run.finalIteration > 0 {
                data.convergence = try Focus.convergence(db, run: run, focus: focus, trajectories: options.trajectories)
            } else if let iterative = data.scoreRuns.last(where: { $0.strategy == "self-validation" && $0.finalIteration > 0 }) {
                data.convergence = try Focus.convergence(db, run: iterative, focus: try Focus.load(db, run: iterative),
                                                         trajectories: options.trajectories)
            } else {
                data.convergenceNote = "\(run.label) is not iterative, and there is no self-validation run: "
                    + "run `codedpo score --strategy self-validation` to see convergence"
            }
            data.pairSet = try db.rows("SELECT name FROM pair_sets WHERE score_run_id = ? ORDER BY id DESC LIMIT 1", run.id).first?[0].string
            data.requestedProblems = options.problems
            var wanted: [Int64]?
            if !options.problems.isEmpty {
                wanted = try options.problems.map { name in
                    guard let id = try db.int("SELECT id FROM problems WHERE external_id = ?", name) else {
                        throw StoreError("no problem \"\(name)\"")
                    }
                    return Int64(id)
                }
            }
            data.problems = try focus.matrices(db, pairSet: data.pairSet, limit: wanted?.count ?? options.matrices, only: wanted)
        }
        try data.loadStrategies(db)
        try data.loadEfficiency(db)
        return data
    }

    mutating func loadCounts(_ db: Database) throws {
        func add(_ stage: String, _ item: String, _ sql: String) throws {
            counts.append(Count(stage: stage, item: item, value: try db.int(sql) ?? 0))
        }
        func breakdown(_ stage: String, _ suffix: String, _ sql: String) throws {
            for row in try db.rows(sql) {
                let value = (row[0].string ?? "NULL").replacingOccurrences(of: "_", with: "-")
                counts.append(Count(stage: stage, item: "\(value) \(suffix)", value: row[1].int ?? 0))
            }
        }
        try add("seeds", "seeds", "SELECT count(*) FROM seeds")
        try add("generation", "LLM requests", "SELECT count(*) FROM generations")
        try add("problems", "problems", "SELECT count(*) FROM problems")
        try add("solutions", "distinct solutions", "SELECT count(*) FROM solutions")
        try add("solutions", "samples", "SELECT coalesce(sum(sample_count), 0) FROM solutions")
        try breakdown("tests", "tests", "SELECT kind, count(*) FROM tests GROUP BY kind ORDER BY kind DESC")
        try add("execution", "execution configs", "SELECT count(*) FROM execution_configs")
        try add("execution", "verdicts", "SELECT count(*) FROM executions")
        executionStatuses = try db.rows("SELECT status, count(*) FROM executions GROUP BY status ORDER BY 2 DESC, 1")
            .map { ($0[0].string ?? "NULL", $0[1].int ?? 0) }
        for (status, count) in executionStatuses {
            counts.append(Count(stage: "execution", item: "\(status.replacingOccurrences(of: "_", with: "-")) verdicts", value: count))
        }
        try add("scoring", "score runs", "SELECT count(*) FROM score_runs")
        try breakdown("scoring", "runs", "SELECT strategy, count(*) FROM score_runs GROUP BY strategy ORDER BY strategy")
        try add("efficiency", "efficiency runs", "SELECT count(*) FROM efficiency_runs")
        try add("efficiency", "timings", "SELECT count(*) FROM timings")
        try breakdown("efficiency", "solutions", "SELECT status, count(*) FROM efficiency_results GROUP BY status ORDER BY status DESC")
        try add("pairs", "pair sets", "SELECT count(*) FROM pair_sets")
        try breakdown("pairs", "pairs", "SELECT kind, count(*) FROM pairs GROUP BY kind ORDER BY kind")
        try add("exports", "exports", "SELECT count(*) FROM exports")
        try breakdown("exports", "files", "SELECT format, count(*) FROM exports GROUP BY format ORDER BY format")
    }

    /// Per strategy, its latest score run, evaluated against ground truth only when every
    /// ground-truth verdict it needs is stored (the report never executes anything).
    mutating func loadStrategies(_ db: Database) throws {
        guard groundTruthTests > 0 else { return }
        var latest: [String: ScoreRunInfo] = [:]
        for run in scoreRuns { latest[run.strategy] = run }
        let evaluator = Evaluator(db: db)
        for run in latest.values.sorted(by: { $0.id < $1.id }) {
            let missing = try evaluator.missingGroundTruth(scoreRun: run.id)
            if missing > 0 {
                strategies.append(StrategyResult(run: run, topPassRate: nil, randomPassRate: nil, problems: 0, missingVerdicts: missing))
                continue
            }
            let report = try evaluator.evaluate(scoreRun: run.id)
            strategies.append(StrategyResult(run: run, topPassRate: report.problems > 0 ? report.topPassRate : nil,
                                             randomPassRate: report.problems > 0 ? report.randomPassRate : nil,
                                             spearman: report.spearman, pairPrecision: report.pairPrecision,
                                             problems: report.problems, missingVerdicts: 0))
        }
    }

    /// Speedups of the efficiency pairs of the latest pair set that has any (one built on the
    /// focused score run first).
    mutating func loadEfficiency(_ db: Database) throws {
        let sets = try db.rows("""
            SELECT ps.id, ps.name, ps.efficiency_run_id, ps.policy FROM pair_sets ps
            WHERE ps.efficiency_run_id IS NOT NULL AND EXISTS (SELECT 1 FROM pairs p WHERE p.pair_set_id = ps.id AND p.kind = 'efficiency')
            ORDER BY (ps.score_run_id = ?) DESC, ps.id DESC LIMIT 1
            """, scoreRun?.id ?? -1)
        guard let set = sets.first else {
            let runs = try db.int("SELECT count(*) FROM efficiency_runs") ?? 0
            efficiencyNote = runs == 0
                ? "no efficiency runs yet — run codedpo efficiency --score-run N, then codedpo pairs --efficiency-run M"
                : "no efficiency pairs yet — run codedpo pairs --score-run N --efficiency-run M --name NAME"
            return
        }
        let runID = set[2].int64!
        let policy = (try? JSON.parse(set[3].string ?? "{}")) ?? .null
        let rows = try db.rows("""
            SELECT pr.external_id, p.chosen_solution_id, p.rejected_solution_id, c.median, r.median, coalesce(c.unit, r.unit, '')
            FROM pairs p JOIN problems pr ON pr.id = p.problem_id
            JOIN efficiency_results c ON c.efficiency_run_id = ? AND c.solution_id = p.chosen_solution_id
            JOIN efficiency_results r ON r.efficiency_run_id = ? AND r.solution_id = p.rejected_solution_id
            WHERE p.pair_set_id = ? AND p.kind = 'efficiency' AND c.median IS NOT NULL AND r.median IS NOT NULL
            ORDER BY p.id
            """, runID, runID, set[0].int64!)
        efficiency = Efficiency(pairSet: set[1].string!, efficiencyRunID: runID, minSpeedup: policy["min_speedup"]?.doubleValue ?? 1.1,
                                speedups: rows.map {
                                    Speedup(problem: $0[0].string!, chosen: $0[1].int64!, rejected: $0[2].int64!,
                                            chosenMedian: $0[3].double!, rejectedMedian: $0[4].double!, unit: $0[5].string ?? "")
                                })
    }
}

/// What the focused score run's sections share: final scores, who passes what, and which
/// solutions are correct by the ground truth.
struct Focus {
    let run: ReportData.ScoreRunInfo
    var problemOfSolution: [Int64: Int64] = [:]
    var problemOfTest: [Int64: Int64] = [:]
    var finalSolution: [Int64: Double] = [:]
    var finalTest: [Int64: Double] = [:]
    var normalizedSolution: [Int64: Double] = [:]
    var normalizedTest: [Int64: Double] = [:]
    /// Tests each solution passes (scored tests only).
    var passes: [Int64: Set<Int64>] = [:]
    /// Solutions passing each scored test, counted.
    var passedBy: [Int64: Int] = [:]
    /// Correct by the ground truth; only for problems whose ground-truth verdicts are complete.
    var correct: [Int64: Bool] = [:]
    var distribution = ReportData.Distribution()

    static func load(_ db: Database, run: ReportData.ScoreRunInfo) throws -> Focus {
        var focus = Focus(run: run)
        var solutionsByProblem: [Int64: [(Int64, Double)]] = [:]
        for row in try db.rows("""
            SELECT s.problem_id, sc.solution_id, sc.value FROM scores sc JOIN solutions s ON s.id = sc.solution_id
            WHERE sc.score_run_id = ? AND sc.iteration = ?
            """, run.id, run.finalIteration) {
            let problem = row[0].int64!, id = row[1].int64!, value = row[2].double!
            focus.problemOfSolution[id] = problem
            focus.finalSolution[id] = value
            solutionsByProblem[problem, default: []].append((id, value))
        }
        var testsByProblem: [Int64: [(Int64, Double)]] = [:]
        for row in try db.rows("""
            SELECT t.problem_id, sc.test_id, sc.value FROM scores sc JOIN tests t ON t.id = sc.test_id
            WHERE sc.score_run_id = ? AND sc.iteration = ?
            """, run.id, run.finalIteration) {
            let problem = row[0].int64!, id = row[1].int64!, value = row[2].double!
            focus.problemOfTest[id] = problem
            focus.finalTest[id] = value
            testsByProblem[problem, default: []].append((id, value))
        }
        for (_, entries) in solutionsByProblem.sorted(by: { $0.key < $1.key }) {
            let normalized = ReportData.normalize(entries.map(\.1))
            for (entry, value) in zip(entries, normalized) { focus.normalizedSolution[entry.0] = value }
            focus.distribution.solutionScores += normalized
        }
        for (_, entries) in testsByProblem.sorted(by: { $0.key < $1.key }) {
            let normalized = ReportData.normalize(entries.map(\.1))
            for (entry, value) in zip(entries, normalized) { focus.normalizedTest[entry.0] = value }
            focus.distribution.testScores += normalized
        }
        focus.distribution.problems = solutionsByProblem.count
        for row in try db.rows("""
            SELECT e.solution_id, e.test_id FROM executions e
            JOIN scores sc ON sc.score_run_id = ? AND sc.iteration = ? AND sc.test_id = e.test_id
            WHERE e.config_id = ? AND e.status = 'pass'
            """, run.id, run.finalIteration, run.configID) {
            let solution = row[0].int64!, test = row[1].int64!
            guard focus.problemOfSolution[solution] != nil else { continue }
            focus.passes[solution, default: []].insert(test)
            focus.passedBy[test, default: 0] += 1
        }
        // Correctness by the ground truth, for problems where every solution has every
        // ground-truth verdict.
        var complete: [Int64: Bool] = [:]
        var verdictsByProblem: [Int64: [(Int64, Bool)]] = [:]
        for row in try db.rows("""
            SELECT s.id, s.problem_id,
                   (SELECT count(*) FROM tests t WHERE t.problem_id = s.problem_id AND t.kind = 'ground_truth'),
                   (SELECT count(*) FROM executions e JOIN tests t ON t.id = e.test_id
                     WHERE e.config_id = ? AND e.solution_id = s.id AND t.kind = 'ground_truth'),
                   (SELECT count(*) FROM executions e JOIN tests t ON t.id = e.test_id
                     WHERE e.config_id = ? AND e.solution_id = s.id AND t.kind = 'ground_truth' AND e.status = 'pass')
            FROM scores sc JOIN solutions s ON s.id = sc.solution_id
            WHERE sc.score_run_id = ? AND sc.iteration = ?
            """, run.configID, run.configID, run.id, run.finalIteration) {
            let id = row[0].int64!, problem = row[1].int64!, total = row[2].int!, judged = row[3].int!, passed = row[4].int!
            guard total > 0 else { continue }
            complete[problem] = (complete[problem] ?? true) && judged == total
            verdictsByProblem[problem, default: []].append((id, passed == total))
        }
        for (problem, entries) in verdictsByProblem where complete[problem] == true {
            for (id, ok) in entries { focus.correct[id] = ok }
        }
        return focus
    }

    /// Judged by the ground truth: false = no correct solution of its problem passes the
    /// test, true = every one does, nil = mixed or unknown.
    func rightness(of test: Int64, correctByProblem: [Int64: [Int64]]) -> Bool? {
        guard let problem = problemOfTest[test], let correctOnes = correctByProblem[problem], !correctOnes.isEmpty else { return nil }
        let passing = correctOnes.filter { passes[$0]?.contains(test) == true }.count
        if passing == 0 { return false }
        if passing == correctOnes.count { return true }
        return nil
    }

    var correctByProblem: [Int64: [Int64]] {
        var result: [Int64: [Int64]] = [:]
        for (id, ok) in correct where ok { result[problemOfSolution[id]!, default: []].append(id) }
        return result
    }

    static func convergence(_ db: Database, run: ReportData.ScoreRunInfo, focus: Focus, trajectories limit: Int) throws -> ReportData.Convergence {
        var result = ReportData.Convergence(run: run)
        let iterations = run.finalIteration + 1
        func histories(_ sql: String) throws -> [Int64: (problem: Int64, values: [Double])] {
            var out: [Int64: (problem: Int64, values: [Double])] = [:]
            for row in try db.rows(sql, run.id) {
                let id = row[0].int64!, problem = row[1].int64!, iteration = row[2].int!, value = row[3].double!
                guard iteration < iterations else { continue }
                if out[id] == nil { out[id] = (problem, Array(repeating: .nan, count: iterations)) }
                out[id]!.values[iteration] = value
            }
            // Problems that stopped early are padded by the scorer; fill any hole with the last value.
            for (id, entry) in out {
                var values = entry.values, last = values.first { !$0.isNaN } ?? 0
                for k in values.indices { if values[k].isNaN { values[k] = last } else { last = values[k] } }
                out[id] = (entry.problem, values)
            }
            return out
        }
        let solutions = try histories("""
            SELECT sc.solution_id, s.problem_id, sc.iteration, sc.value FROM scores sc JOIN solutions s ON s.id = sc.solution_id
            WHERE sc.score_run_id = ?
            """)
        let tests = try histories("""
            SELECT sc.test_id, t.problem_id, sc.iteration, sc.value FROM scores sc JOIN tests t ON t.id = sc.test_id
            WHERE sc.score_run_id = ?
            """)
        /// Normalized values per iteration, grouped by problem.
        func normalizedHistories(_ entries: [Int64: (problem: Int64, values: [Double])]) -> [Int64: [Double]] {
            var byProblem: [Int64: [Int64]] = [:]
            for (id, entry) in entries { byProblem[entry.problem, default: []].append(id) }
            var out: [Int64: [Double]] = [:]
            for ids in byProblem.values {
                for id in ids { out[id] = Array(repeating: 0, count: iterations) }
                for k in 0..<iterations {
                    let normalized = ReportData.normalize(ids.map { entries[$0]!.values[k] })
                    for (id, value) in zip(ids, normalized) { out[id]![k] = value }
                }
            }
            return out
        }
        let solutionNorm = normalizedHistories(solutions)
        let testNorm = normalizedHistories(tests)
        func meanChange(_ norm: [Int64: [Double]]) -> [Double] {
            (0..<iterations).map { k in
                guard k > 0, !norm.isEmpty else { return 0 }
                return norm.values.reduce(0) { $0 + abs($1[k] - $1[k - 1]) } / Double(norm.count)
            }
        }
        result.solutionChange = meanChange(solutionNorm)
        result.testChange = meanChange(testNorm)
        var byProblem: [Int64: [Int64]] = [:]
        for (id, entry) in solutions { byProblem[entry.problem, default: []].append(id) }
        result.topChanged = (0..<iterations).map { k in
            guard k > 0, !byProblem.isEmpty else { return 0 }
            let changed = byProblem.values.filter { ids in
                func top(_ k: Int) -> Set<Int64> {
                    let best = ids.map { solutions[$0]!.values[k] }.max()!
                    return Set(ids.filter { solutions[$0]!.values[k] == best })
                }
                return top(k) != top(k - 1)
            }.count
            return Double(changed) / Double(byProblem.count)
        }
        // Right and wrong tests by the ground truth (judged with the final run's passes).
        let correctByProblem = focus.correctByProblem
        var wrong: [Int64] = [], right: [Int64] = []
        var judged: [Int64: Bool] = [:]
        // Only tests some solution passes: a test nobody passes loses trust trivially.
        for id in tests.keys.sorted() where (focus.passedBy[id] ?? 0) > 0 {
            guard let verdict = focus.rightness(of: id, correctByProblem: correctByProblem) else { continue }
            judged[id] = verdict
            if verdict { right.append(id) } else { wrong.append(id) }
        }
        func mean(_ ids: [Int64]) -> [Double]? {
            guard !ids.isEmpty else { return nil }
            return (0..<iterations).map { k in ids.reduce(0) { $0 + testNorm[$1]![k] } / Double(ids.count) }
        }
        result.wrongTestMean = mean(wrong)
        result.rightTestMean = mean(right)
        result.wrongTests = wrong.count
        result.rightTests = right.count
        // Individual tests: the wrong ones (by the ground truth) that most solutions pass, the
        // hard cases a pass count would trust; without ground truth, the passed tests the
        // final scores distrust most. At most two a problem.
        let names = Dictionary(uniqueKeysWithValues: try db.rows("""
            SELECT id, external_id FROM problems WHERE id IN (SELECT DISTINCT t.problem_id FROM scores sc JOIN tests t ON t.id = sc.test_id WHERE sc.score_run_id = ?)
            """, run.id).map { ($0[0].int64!, $0[1].string!) })
        let wrongFirst = wrong.sorted { a, b in
            let pa = focus.passedBy[a] ?? 0, pb = focus.passedBy[b] ?? 0
            return pa != pb ? pa > pb : (testNorm[a]!.last!, a) < (testNorm[b]!.last!, b)
        }
        let distrusted = tests.keys.filter { (focus.passedBy[$0] ?? 0) > 0 && (testNorm[$0]?.last ?? 1) < 1 && judged[$0] != false }
            .sorted { (testNorm[$0]!.last!, $0) < (testNorm[$1]!.last!, $1) }
        let candidates = wrongFirst + distrusted
        var perProblem: [Int64: Int] = [:]
        var chosen: [Int64] = []
        for id in candidates where chosen.count < limit {
            let problem = tests[id]!.problem
            guard perProblem[problem, default: 0] < 2 else { continue }
            perProblem[problem, default: 0] += 1
            chosen.append(id)
        }
        if !chosen.isEmpty {
            let codes = Dictionary(uniqueKeysWithValues: try db.rows(
                "SELECT id, code FROM tests WHERE id IN (\(chosen.map(String.init).joined(separator: ",")))").map { ($0[0].int64!, $0[1].string!) })
            result.trajectories = chosen.map { id in
                ReportData.Trajectory(testID: id, problem: names[tests[id]!.problem] ?? "?", code: codes[id] ?? "", values: testNorm[id]!,
                                      right: judged[id], passedBy: focus.passedBy[id] ?? 0)
            }
        }
        return result
    }

    /// Up to `limit` problems' pass matrices: problems with pairs first, then those with a
    /// distrusted or wrong test, then by the spread of their scores.
    func matrices(_ db: Database, pairSet: String?, limit: Int, only: [Int64]? = nil) throws -> [ReportData.ProblemMatrix] {
        guard limit > 0 else { return [] }
        var pairs: [Int64: [(chosen: Int64, rejected: Int64)]] = [:]
        if let pairSet {
            for row in try db.rows("""
                SELECT p.problem_id, p.chosen_solution_id, p.rejected_solution_id FROM pairs p JOIN pair_sets ps ON ps.id = p.pair_set_id
                WHERE ps.name = ? AND p.kind = 'correctness' ORDER BY p.id
                """, pairSet) {
                pairs[row[0].int64!, default: []].append((row[1].int64!, row[2].int64!))
            }
        }
        let correctByProblem = self.correctByProblem
        struct Candidate { var problem: Int64; var pairs: Int; var flagged: Int; var spread: Double }
        var byProblem: [Int64: [Int64]] = [:]
        for (id, problem) in problemOfSolution { byProblem[problem, default: []].append(id) }
        var flagged: [Int64: Int] = [:]
        for (test, problem) in problemOfTest where (passedBy[test] ?? 0) > 0 {
            if (normalizedTest[test] ?? 1) < 0.5 || rightness(of: test, correctByProblem: correctByProblem) == false {
                flagged[problem, default: 0] += 1
            }
        }
        var candidates = byProblem.map { problem, ids -> Candidate in
            let values = ids.compactMap { normalizedSolution[$0] }
            return Candidate(problem: problem, pairs: pairs[problem]?.count ?? 0, flagged: flagged[problem] ?? 0,
                             spread: (values.max() ?? 0) - (values.min() ?? 0))
        }.sorted { a, b in
            let ka = (a.pairs > 0 ? 1 : 0, a.flagged > 0 ? 1 : 0, a.spread), kb = (b.pairs > 0 ? 1 : 0, b.flagged > 0 ? 1 : 0, b.spread)
            if ka != kb { return ka > kb }
            return a.problem < b.problem
        }
        if let only {
            // The problems asked for, in that order (a problem the run did not score has no matrix).
            let byID = Dictionary(candidates.map { ($0.problem, $0) }, uniquingKeysWith: { a, _ in a })
            candidates = only.compactMap { byID[$0] }
        }
        var result: [ReportData.ProblemMatrix] = []
        for candidate in candidates.prefix(limit) {
            let problem = candidate.problem
            guard let info = try db.rows("SELECT external_id, prompt, entry_point FROM problems WHERE id = ?", problem).first else { continue }
            let solutionRows = try db.rows("SELECT id, sample_count, code FROM solutions WHERE problem_id = ?", problem)
                .filter { finalSolution[$0[0].int64!] != nil }
            let solutions = solutionRows.map { row -> ReportData.MatrixSolution in
                let id = row[0].int64!
                return ReportData.MatrixSolution(id: id, score: finalSolution[id]!, normalized: normalizedSolution[id] ?? 0,
                                                 samples: row[1].int ?? 1, code: row[2].string ?? "", correct: correct[id])
            }.sorted { ($0.score, $0.samples, -$0.id) > ($1.score, $1.samples, -$1.id) }
            let testRows = try db.rows("SELECT id, kind, code FROM tests WHERE problem_id = ? ORDER BY id", problem)
            let tests = testRows.compactMap { row -> ReportData.MatrixTest? in
                let id = row[0].int64!
                guard let score = finalTest[id] else { return nil }
                return ReportData.MatrixTest(id: id, score: score, normalized: normalizedTest[id], code: row[2].string ?? "")
            }.sorted { ($0.score ?? 0, -$0.id) > ($1.score ?? 0, -$1.id) }
            var verdicts: [Int64: [Int64: String]] = [:]
            for row in try db.rows("""
                SELECT e.solution_id, e.test_id, e.status FROM executions e JOIN solutions s ON s.id = e.solution_id
                WHERE e.config_id = ? AND s.problem_id = ?
                """, run.configID, problem) {
                verdicts[row[0].int64!, default: [:]][row[1].int64!] = row[2].string!
            }
            let executedTests = Set(verdicts.values.flatMap(\.keys))
            let groundTruth = testRows.filter { $0[1].string == "ground_truth" && finalTest[$0[0].int64!] == nil && executedTests.contains($0[0].int64!) }
                .map { ReportData.MatrixTest(id: $0[0].int64!, score: nil, normalized: nil, code: $0[2].string ?? "") }
            var why: [String] = []
            if candidate.pairs > 0 { why.append("\(candidate.pairs) correctness pair\(candidate.pairs == 1 ? "" : "s")") }
            if candidate.flagged > 0 { why.append("\(candidate.flagged) distrusted test\(candidate.flagged == 1 ? "" : "s")") }
            why.append("score spread \(String(format: "%.2f", candidate.spread))")
            result.append(ReportData.ProblemMatrix(problemID: problem, externalID: info[0].string!, prompt: info[1].string ?? "",
                                                   entryPoint: info[2].string, solutions: solutions, tests: tests, groundTruth: groundTruth, verdicts: verdicts,
                                                   pairs: pairs[problem] ?? [], why: why.joined(separator: ", ")))
        }
        return result
    }
}
