import Foundation

/// The report's strategy section: per strategy its latest score run held against the ground
/// truth, the same numbers `codedpo eval` gives (`Evaluator`), evaluated only when every
/// ground-truth verdict it needs is stored (the report never executes anything). Each
/// config's ground-truth verdicts are summed once (`GroundTruthTable`), not once per run.
extension ReportData {
    mutating func loadStrategies(_ db: Database) throws {
        guard groundTruthTests > 0 else { return }
        var latest: [String: ScoreRunInfo] = [:]
        for run in scoreRuns { latest[run.strategy] = run }
        var tables: [Int64: GroundTruthTable] = [:]
        for run in latest.values.sorted(by: { $0.id < $1.id }) {
            if tables[run.configID] == nil { tables[run.configID] = try GroundTruthTable(db: db, configID: run.configID) }
            strategies.append(try Self.strategyResult(db, run: run, groundTruth: tables[run.configID]!))
        }
    }

    /// One run's outcomes, built as `Evaluator.evaluate` builds them: per problem with ground
    /// truth, its scored solutions (by id) with final score, sample weight and correctness.
    static func strategyResult(_ db: Database, run: ScoreRunInfo, groundTruth: GroundTruthTable) throws -> StrategyResult {
        let statement = try db.prepare("""
            SELECT s.problem_id AS problem_id, s.id AS solution_id, s.sample_count AS samples, sc.value AS score
            FROM solutions s CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
            ORDER BY s.problem_id
            """)
        let columns = (problem: try statement.column("problem_id"), solution: try statement.column("solution_id"),
                       samples: try statement.column("samples"), score: try statement.column("score"))
        var outcomes: [ProblemOutcome] = []
        var current: Int64?
        // One problem's solutions, put in id order when it closes (the SQL orders by problem
        // only, which the solutions index gives without a sort).
        var entries: [(solution: Int, score: Double, samples: Int)] = []
        var missing = 0
        func close() {
            guard !entries.isEmpty, let problem = current else { return }
            let total = groundTruth.tests(ofProblem: problem)
            entries.sort { $0.solution < $1.solution }
            outcomes.append(ProblemOutcome(scores: entries.map(\.score), correct: entries.map { Int(groundTruth.passed[$0.solution]) == total },
                                           weights: entries.map { Double(max(1, $0.samples)) }))
            entries.removeAll(keepingCapacity: true)
        }
        try statement.rows(binding: [run.id, Int64(run.finalIteration)]) { row in
            let problem = row.statement.int64(at: columns.problem), solution = Int(row.statement.int64(at: columns.solution))
            let total = groundTruth.tests(ofProblem: problem)
            guard total > 0 else { return }
            if problem != current {
                close()
                current = problem
            }
            missing += total - Int(groundTruth.judged[solution])
            entries.append((solution, row.statement.double(at: columns.score), row.statement.int(at: columns.samples)))
        }
        close()
        guard missing == 0 else {
            return StrategyResult(run: run, topPassRate: nil, randomPassRate: nil, problems: 0, missingVerdicts: missing)
        }
        let report = EvaluationReport.summarize(outcomes, run: run.id, strategy: run.strategy,
                                                parameters: (try? JSON.parse(run.parameters)) ?? .object([]))
        return StrategyResult(run: run, topPassRate: report.problems > 0 ? report.topPassRate : nil,
                              randomPassRate: report.problems > 0 ? report.randomPassRate : nil,
                              spearman: report.spearman, pairPrecision: report.pairPrecision,
                              problems: report.problems, missingVerdicts: 0)
    }
}
