import Foundation

/// One problem's scores held against ground truth: pure, so the metrics are tested alone.
public struct ProblemOutcome: Sendable, Equatable {
    public var scores: [Double]
    public var correct: [Bool]
    public var weights: [Double]
    /// The problem's row id (0 when the outcome stands alone, as in tests).
    public var problem: Int64

    public init(scores: [Double], correct: [Bool], weights: [Double]? = nil, problem: Int64 = 0) {
        self.problem = problem
        self.scores = scores
        self.correct = correct
        self.weights = weights ?? Array(repeating: 1, count: scores.count)
    }

    func weightedShare(_ members: [Int]) -> Double {
        let total = members.reduce(0.0) { $0 + weights[$1] }
        guard total > 0 else { return 0 }
        return members.reduce(0.0) { $0 + (correct[$1] ? weights[$1] : 0) } / total
    }

    /// Expected correctness of the top-ranked solution, ties broken uniformly over samples
    /// (a solution sampled k times is k tied candidates).
    public var topPassRate: Double {
        guard let best = scores.max() else { return 0 }
        return weightedShare(scores.indices.filter { scores[$0] == best })
    }

    /// Expected correctness of a random sample: the baseline (pass@1).
    public var randomPassRate: Double { weightedShare(Array(scores.indices)) }

    /// Some samples are correct and some are not: the problems where a ranking can matter,
    /// the subset the B4 paper reports on.
    public var isMixed: Bool { randomPassRate > 0 && randomPassRate < 1 }

    /// Spearman correlation between score and correctness; nil when either is constant.
    public var spearman: Double? { Statistics.spearman(scores, correct.map { $0 ? 1 : 0 }) }

    /// The paper's pair, top-scored (chosen) vs bottom-scored (rejected): the probability that
    /// the chosen is correct and the rejected is not, ties broken uniformly over samples.
    /// nil when every score ties (no pair).
    public var pairPrecision: Double? {
        guard let best = scores.max(), let worst = scores.min(), best > worst else { return nil }
        let top = weightedShare(scores.indices.filter { scores[$0] == best })
        let bottom = weightedShare(scores.indices.filter { scores[$0] == worst })
        return top * (1 - bottom)
    }
}

public struct EvaluationReport: Sendable {
    public var scoreRunID: Int64
    public var strategy: String
    public var parameters: JSON
    public var problems = 0
    public var topPassRate = 0.0
    public var randomPassRate = 0.0
    /// Top-1 over the problems with some correct and some incorrect samples (B4's figure).
    public var topPassRateMixed: Double?
    public var mixedProblems = 0
    /// Each problem's top-1 (expected correctness of its top-ranked solution), by problem id:
    /// what paired comparisons of runs resample.
    public var problemTopPassRates: [Int64: Double] = [:]
    public var spearman: Double?
    public var spearmanProblems = 0
    public var pairPrecision: Double?
    public var pairProblems = 0
    public var problemsWithoutGroundTruth = 0
    public var missingGroundTruthVerdicts = 0

    /// Averages per-problem outcomes (each problem counts once).
    public static func summarize(_ outcomes: [ProblemOutcome], run: Int64, strategy: String, parameters: JSON) -> EvaluationReport {
        var report = EvaluationReport(scoreRunID: run, strategy: strategy, parameters: parameters)
        report.problems = outcomes.count
        guard !outcomes.isEmpty else { return report }
        report.topPassRate = outcomes.map(\.topPassRate).reduce(0, +) / Double(outcomes.count)
        report.randomPassRate = outcomes.map(\.randomPassRate).reduce(0, +) / Double(outcomes.count)
        let mixed = outcomes.filter(\.isMixed)
        report.mixedProblems = mixed.count
        report.topPassRateMixed = mixed.isEmpty ? nil : mixed.map(\.topPassRate).reduce(0, +) / Double(mixed.count)
        for outcome in outcomes { report.problemTopPassRates[outcome.problem] = outcome.topPassRate }
        let rhos = outcomes.compactMap(\.spearman)
        report.spearmanProblems = rhos.count
        report.spearman = rhos.isEmpty ? nil : rhos.reduce(0, +) / Double(rhos.count)
        let pairs = outcomes.compactMap(\.pairPrecision)
        report.pairProblems = pairs.count
        report.pairPrecision = pairs.isEmpty ? nil : pairs.reduce(0, +) / Double(pairs.count)
        return report
    }

    public var json: JSON {
        .object([
            ("score_run", .int(scoreRunID)), ("strategy", .string(strategy)), ("parameters", parameters),
            ("problems", .int(Int64(problems))), ("top1_pass_rate", .double(topPassRate)),
            ("random_pass_rate", .double(randomPassRate)), ("top1_mixed", JSON(topPassRateMixed)),
            ("mixed_problems", .int(Int64(mixedProblems))), ("spearman", JSON(spearman)),
            ("spearman_problems", .int(Int64(spearmanProblems))), ("pair_precision", JSON(pairPrecision)),
            ("pair_problems", .int(Int64(pairProblems))),
            ("problems_without_ground_truth", .int(Int64(problemsWithoutGroundTruth))),
            ("missing_ground_truth_verdicts", .int(Int64(missingGroundTruthVerdicts))),
        ])
    }
}

/// Holds a score run against the ground-truth tests' verdicts under the same config. It
/// reads only: the ground-truth verdicts must exist (`codedpo eval` runs them first).
/// Each config's ground-truth verdicts are summed once per evaluator (`GroundTruthTable`), and
/// each run's final scores are streamed problem by problem: memory is a few bytes per id plus
/// one problem, and time is linear in the scored solutions.
public struct Evaluator {
    public let db: Database
    private let tables = TableCache()

    /// The ground-truth tables read so far, by execution config, and the solutions' table.
    private final class TableCache {
        var byConfig: [Int64: GroundTruthTable] = [:]
        var solutions: SolutionTable?
    }

    public init(db: Database) { self.db = db }

    public func scoreRun(_ id: Int64) throws -> ScoreRunRecord { try ScoreRunRecord.load(db, id) }

    func groundTruth(configID: Int64) throws -> GroundTruthTable {
        if let table = tables.byConfig[configID] { return table }
        let table = try GroundTruthTable(db: db, configID: configID)
        tables.byConfig[configID] = table
        return table
    }

    /// Every solution's problem and sample count, read once per evaluator.
    func solutionTable() throws -> SolutionTable {
        if let table = tables.solutions { return table }
        let table = try SolutionTable(db: db)
        tables.solutions = table
        return table
    }

    /// Ground-truth (solution, test) pairs of the scored problems that have no verdict yet.
    public func missingGroundTruth(scoreRun id: Int64) throws -> Int {
        let run = try scoreRun(id)
        let table = try groundTruth(configID: run.configID)
        var missing = 0
        try Self.forEachScored(db, run: run, solutions: try solutionTable()) { problem, solution, _, _ in
            missing += table.missing(solution: solution, problem: problem)
        }
        return missing
    }

    public func evaluate(scoreRun id: Int64) throws -> EvaluationReport {
        let run = try scoreRun(id)
        return try evaluate(run: run)
    }

    /// One run held against its config's ground truth, with the tables this evaluator holds.
    func evaluate(run: ScoreRunRecord) throws -> EvaluationReport {
        try Self.evaluate(db, run: run, groundTruth: try groundTruth(configID: run.configID), solutions: try solutionTable())
    }

    /// Every scored solution of the run at its final iteration, problem by problem in problem
    /// order (within a problem, any order). With a solution table whose ids follow problems,
    /// only the score index is read; otherwise the solutions index gives the order.
    static func forEachScored(_ db: Database, run: ScoreRunRecord, solutions: SolutionTable? = nil,
                              _ body: (_ problem: Int64, _ solution: Int64, _ samples: Int, _ score: Double) throws -> Void) throws {
        if let solutions, solutions.inProblemOrder {
            return try solutions.forEachScored(db, run: run, body)
        }
        let statement = try db.prepare("""
            SELECT s.problem_id AS problem_id, s.id AS solution_id, s.sample_count AS samples, sc.value AS score
            FROM solutions s CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
            ORDER BY s.problem_id
            """)
        let columns = (problem: try statement.column("problem_id"), solution: try statement.column("solution_id"),
                       samples: try statement.column("samples"), score: try statement.column("score"))
        try statement.rows(binding: [run.id, Int64(run.finalIteration)]) { row in
            try body(row.statement.int64(at: columns.problem), row.statement.int64(at: columns.solution),
                     row.statement.int(at: columns.samples), row.statement.double(at: columns.score))
        }
    }

    /// One run held against a ground-truth table: per problem with ground truth, its scored
    /// solutions in id order with final score, sample weight and correctness.
    static func evaluate(_ db: Database, run: ScoreRunRecord, groundTruth: GroundTruthTable,
                         solutions: SolutionTable? = nil) throws -> EvaluationReport {
        var collector = OutcomeCollector(groundTruth: groundTruth)
        var current: Int64?
        var entries: [OutcomeCollector.Entry] = []
        try forEachScored(db, run: run, solutions: solutions) { problem, solution, samples, score in
            if problem != current {
                if let current { collector.add(problem: current, entries) }
                entries.removeAll(keepingCapacity: true)
                current = problem
            }
            entries.append((solution, score, samples))
        }
        if let current { collector.add(problem: current, entries) }
        return collector.report(run: run)
    }
}

/// A run's outcomes, problem by problem: what `Evaluator` gives for the solutions handed
/// in, so a reader that already holds a run's final scores (the report's convergence pass)
/// evaluates it without reading them again.
struct OutcomeCollector {
    typealias Entry = (solution: Int64, score: Double, samples: Int)
    let groundTruth: GroundTruthTable
    var outcomes: [ProblemOutcome] = []
    var withoutGroundTruth = 0
    var missing = 0

    /// One problem's scored solutions (any order), each problem once, problems in id order.
    mutating func add(problem: Int64, _ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        guard groundTruth.tests(ofProblem: problem) > 0 else {
            withoutGroundTruth += 1
            return
        }
        let sorted = entries.sorted { $0.solution < $1.solution }
        for entry in sorted { missing += groundTruth.missing(solution: entry.solution, problem: problem) }
        outcomes.append(ProblemOutcome(scores: sorted.map(\.score),
                                       correct: sorted.map { groundTruth.correct(solution: $0.solution, problem: problem) },
                                       weights: sorted.map { Double(max(1, $0.samples)) }, problem: problem))
    }

    func report(run: ScoreRunRecord) -> EvaluationReport {
        var report = EvaluationReport.summarize(outcomes, run: run.id, strategy: run.strategy, parameters: run.parameters)
        report.problemsWithoutGroundTruth = withoutGroundTruth
        report.missingGroundTruthVerdicts = missing
        return report
    }
}

/// Agreement between two score runs over the problems both scored.
public struct Comparison: Sendable {
    public var problems = 0
    public var topAgreement = 0.0
    public var spearman: Double?
    public var kendall: Double?
    /// Top-1 pass rates of both runs and their paired difference (bootstrap interval), when
    /// every ground-truth verdict of both runs exists; nil otherwise.
    public var topPassRates: (first: Double, second: Double)?
    public var topDifference: TopPassRateDifference?

    public var json: JSON {
        .object([("problems", .int(Int64(problems))), ("top1_agreement", .double(topAgreement)),
                 ("spearman", JSON(spearman)), ("kendall_tau_b", JSON(kendall)),
                 ("top1_pass_rate", topPassRates.map { JSON.array([.double($0.first), .double($0.second)]) } ?? .null),
                 ("top1_difference", topDifference?.json ?? .null)])
    }

    /// Top-1 agreement: the first solution of run A (lowest id among its ties) is among run
    /// B's best. Correlations are averaged over problems where both vary.
    /// With ground truth for both runs, also their top-1 pass rates and the paired difference
    /// (first minus second) with a bootstrap interval over the evaluated problems.
    public static func compare(_ db: Database, _ a: Int64, _ b: Int64, bootstrap: Bootstrap = Bootstrap()) throws -> Comparison {
        let evaluator = Evaluator(db: db)
        let runA = try evaluator.scoreRun(a), runB = try evaluator.scoreRun(b)
        let rows = try db.rows("""
            SELECT s.problem_id, x.value, y.value FROM scores x
            JOIN scores y ON y.solution_id = x.solution_id AND y.score_run_id = ? AND y.iteration = ?
            JOIN solutions s ON s.id = x.solution_id
            WHERE x.score_run_id = ? AND x.iteration = ?
            ORDER BY s.problem_id, s.id
            """, b, runB.finalIteration, a, runA.finalIteration)
        var groups: [[(Double, Double)]] = []
        var current: Int64?
        for row in rows {
            if row[0].int64 != current {
                groups.append([])
                current = row[0].int64
            }
            groups[groups.count - 1].append((row[1].double!, row[2].double!))
        }
        var result = Comparison()
        result.problems = groups.count
        guard !groups.isEmpty else { return result }
        var agree = 0
        var rhos: [Double] = [], taus: [Double] = []
        for group in groups {
            let x = group.map(\.0), y = group.map(\.1)
            let firstA = x.indices.first { x[$0] == x.max()! }!
            if y[firstA] == y.max()! { agree += 1 }
            if let rho = Statistics.spearman(x, y) { rhos.append(rho) }
            if let tau = Statistics.kendallTauB(x, y) { taus.append(tau) }
        }
        result.topAgreement = Double(agree) / Double(groups.count)
        result.spearman = rhos.isEmpty ? nil : rhos.reduce(0, +) / Double(rhos.count)
        result.kendall = taus.isEmpty ? nil : taus.reduce(0, +) / Double(taus.count)
        if try evaluator.missingGroundTruth(scoreRun: a) == 0, try evaluator.missingGroundTruth(scoreRun: b) == 0 {
            let reportA = try evaluator.evaluate(scoreRun: a), reportB = try evaluator.evaluate(scoreRun: b)
            if reportA.problems > 0 && reportB.problems > 0 {
                result.topPassRates = (reportA.topPassRate, reportB.topPassRate)
                result.topDifference = TopPassRateDifference.between(reportA, reportB, bootstrap: bootstrap)
            }
        }
        return result
    }
}
