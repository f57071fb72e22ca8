/// Everything `codedpo scores` shows for one problem of one score run: rankings of solutions
/// and tests, the pass matrix ordered by score, and how the ranking moved per iteration.
public struct ProblemScores {
    public struct Entry {
        public let id: Int64
        public let score: Double
        public let rank: Int
        public let samples: Int
        public let passes: Int
        public let code: String
    }

    public struct Step {
        public let iteration: Int
        public let topSolution: Int64
        /// Solutions whose rank differs from the previous iteration.
        public let rankChanges: Int
        /// Kendall's tau-b between this iteration's scores and the final ones.
        public let tauToFinal: Double?
    }

    public let problem: String
    public let scoreRun: Int64
    public let solutions: [Entry]
    public let tests: [Entry]
    /// matrix[i][j]: solution i (in ranking order) passes test j (in ranking order).
    public let matrix: [[Bool]]
    public let convergence: [Step]

    static func ranks(_ scores: [Double]) -> [Int] {
        scores.map { score in 1 + scores.filter { $0 > score }.count }
    }

    public static func load(_ db: Database, scoreRun: Int64, problem externalID: String) throws -> ProblemScores {
        guard let run = try db.rows("SELECT config_id, final_iteration, test_kind FROM score_runs WHERE id = ?", scoreRun).first else {
            throw StoreError("no score run \(scoreRun): list them with `codedpo score-runs`")
        }
        let configID = run[0].int64!, final = run[1].int!, kind = run[2].string!
        guard let problemID = try db.int("SELECT id FROM problems WHERE external_id = ?", externalID) else {
            throw StoreError("no problem \"\(externalID)\"")
        }
        let verdicts = Set(try db.rows("""
            SELECT e.solution_id || ':' || e.test_id FROM solutions s CROSS JOIN executions e ON e.config_id = ? AND e.solution_id = s.id
            WHERE s.problem_id = ? AND e.status = 'pass'
            """, configID, problemID).compactMap { $0[0].string })
        var history: [Int64: [Double]] = [:]
        for row in try db.rows("""
            SELECT sc.solution_id, sc.iteration, sc.value FROM solutions s CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id
            WHERE s.problem_id = ? ORDER BY sc.iteration
            """, scoreRun, problemID) {
            history[row[0].int64!, default: []].append(row[2].double!)
        }
        let solutionRows = try db.rows("SELECT id, sample_count, code FROM solutions WHERE problem_id = ? ORDER BY id", problemID)
            .filter { history[$0[0].int64!] != nil }
        let testRows = try db.rows("""
            SELECT t.id, t.sample_count, t.code, sc.value FROM tests t
            CROSS JOIN scores sc ON sc.test_id = t.id AND sc.score_run_id = ? AND sc.iteration = ?
            WHERE t.problem_id = ? AND t.kind = ? ORDER BY t.id
            """, scoreRun, final, problemID, kind)
        let solutionScores = solutionRows.map { history[$0[0].int64!]!.last! }
        let testScores = testRows.map { $0[3].double! }
        let solutionRanks = ranks(solutionScores), testRanks = ranks(testScores)
        let testOrder = testRows.indices.sorted { (testRanks[$0], $0) < (testRanks[$1], $1) }
        let solutionOrder = solutionRows.indices.sorted { (solutionRanks[$0], $0) < (solutionRanks[$1], $1) }
        func passes(_ solution: Int64, _ test: Int64) -> Bool { verdicts.contains("\(solution):\(test)") }
        let solutions = solutionOrder.map { i -> Entry in
            let id = solutionRows[i][0].int64!
            return Entry(id: id, score: solutionScores[i], rank: solutionRanks[i], samples: solutionRows[i][1].int ?? 1,
                         passes: testRows.filter { passes(id, $0[0].int64!) }.count, code: solutionRows[i][2].string!)
        }
        let tests = testOrder.map { j -> Entry in
            let id = testRows[j][0].int64!
            return Entry(id: id, score: testScores[j], rank: testRanks[j], samples: testRows[j][1].int ?? 1,
                         passes: solutionRows.filter { passes($0[0].int64!, id) }.count, code: testRows[j][2].string!)
        }
        let matrix = solutions.map { solution in tests.map { passes(solution.id, $0.id) } }
        var convergence: [Step] = []
        let ids = solutionRows.map { $0[0].int64! }
        let iterations = history.values.first?.count ?? 0
        var previous: [Int]?
        for k in 0..<iterations {
            let scores = ids.map { history[$0]![k] }
            let current = ranks(scores)
            let best = scores.indices.max { (scores[$0], -$0) < (scores[$1], -$1) }!
            convergence.append(Step(iteration: k, topSolution: ids[best],
                                    rankChanges: previous.map { zip($0, current).filter { $0 != $1 }.count } ?? 0,
                                    tauToFinal: Statistics.kendallTauB(scores, solutionScores)))
            previous = current
        }
        return ProblemScores(problem: externalID, scoreRun: scoreRun, solutions: solutions, tests: tests, matrix: matrix, convergence: convergence)
    }

    /// The pass matrix as text: one row per solution (best first), one column per test (most
    /// trusted first); █ pass, · not.
    public var matrixText: String {
        matrix.enumerated().map { i, row in
            let label = "#\(solutions[i].id)".padding(toLength: 8, withPad: " ", startingAt: 0)
            return label + " " + row.map { $0 ? "█" : "·" }.joined()
        }.joined(separator: "\n")
    }
}
