import XCTest

@testable import CodeDPOKit

final class StatisticsAndOutcomeTests: XCTestCase {
    func testRanksAndCorrelations() {
        XCTAssertEqual(Statistics.averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
        XCTAssertEqual(Statistics.spearman([1, 2, 3], [10, 20, 30]), 1)
        XCTAssertEqual(Statistics.spearman([1, 2, 3], [3, 2, 1]), -1)
        XCTAssertNil(Statistics.spearman([1, 1, 1], [1, 2, 3]), "a constant side has no correlation")
        // Kendall tau-b with a tie: pairs (1,2) concordant, (1,3) concordant, (2,3) tied in y.
        XCTAssertEqual(Statistics.kendallTauB([1, 2, 3], [1, 2, 2])!, 2 / (3 * 2).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(Statistics.kendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), -1)
    }

    func testTopRandomAndPairMetricsWeighSamples() {
        // Two tied at the top: one correct sampled once, one wrong sampled three times.
        let outcome = ProblemOutcome(scores: [3, 3, 1], correct: [true, false, true], weights: [1, 3, 1])
        XCTAssertEqual(outcome.topPassRate, 0.25)
        XCTAssertEqual(outcome.randomPassRate, 0.4)
        XCTAssertEqual(outcome.pairPrecision, 0, "the bottom one is correct: no good pair")
        XCTAssertEqual(ProblemOutcome(scores: [2, 1], correct: [true, false]).pairPrecision, 1)
        XCTAssertNil(ProblemOutcome(scores: [1, 1], correct: [true, false]).pairPrecision, "all tied: no pair")
        XCTAssertEqual(ProblemOutcome(scores: [3, 2, 1], correct: [true, true, false]).spearman!, 0.866, accuracy: 0.001)
        let report = EvaluationReport.summarize([outcome, ProblemOutcome(scores: [2, 1], correct: [true, false])], run: 1, strategy: "x", parameters: [:])
        XCTAssertEqual(report.topPassRate, (0.25 + 1) / 2)
        XCTAssertEqual(report.pairProblems, 2)
    }
}

final class ScoreRunnerTests: XCTestCase {
    var db: Database!
    var runID: Int64 = 0
    var configID: Int64 = 0

    override func setUpWithError() throws {
        (db, runID, configID) = try databaseWithConfig(self)
    }

    /// A problem whose solutions pass tests as `rows` says (1 = pass); returns solution ids.
    @discardableResult
    /// `errors[i][j]`: the message stored with a failing verdict.
    func problem(_ name: String, _ rows: [[Int]], groundTruth: [Bool]? = nil, counts: [Int]? = nil, errors: [[String?]]? = nil) throws -> [Int64] {
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES (?, ?, 'p', ?)", name, SHA256.hex(name), runID)
        let problem = db.lastInsertRowID
        let testCount = rows.first?.count ?? 0
        var tests: [Int64] = []
        for j in 0..<testCount {
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', ?, ?, 1, ?)", problem, "\(name)-t\(j)", "t\(j)", runID)
            tests.append(db.lastInsertRowID)
        }
        var gt: Int64?
        if groundTruth != nil {
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'ground_truth', ?, 'gt', 1, ?)", problem, "\(name)-gt", runID)
            gt = db.lastInsertRowID
        }
        var solutions: [Int64] = []
        for (i, row) in rows.enumerated() {
            try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, ?, ?)",
                       problem, "\(name)-s\(i)", "s\(i)", counts?[i] ?? 1, runID)
            let solution = db.lastInsertRowID
            solutions.append(solution)
            for (j, pass) in row.enumerated() {
                try db.run("INSERT INTO executions (config_id, solution_id, test_id, status, error, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                           configID, solution, tests[j], pass == 1 ? "pass" : "fail", errors?[i][j], runID)
            }
            if let gt, let correct = groundTruth?[i] {
                try db.run("INSERT INTO executions (config_id, solution_id, test_id, status, run_id) VALUES (?, ?, ?, ?, ?)",
                           configID, solution, gt, correct ? "pass" : "fail", runID)
            }
        }
        return solutions
    }

    func testEveryIterationOfEverySolutionAndTestIsStored() throws {
        let ids = try problem("A", [[1, 1], [0, 1]])
        try problem("B", [[1], [0], [1]])
        let report = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(damping: 0.5, iterations: 2))
        XCTAssertEqual(report.finalIteration, 2)
        XCTAssertEqual(try db.int("SELECT count(*) FROM scores WHERE score_run_id = ?", report.scoreRunID), (4 + 4) * 3)
        XCTAssertEqual(report.rows, 24)
        // The paper's example again, now read back from the database.
        let c1 = try db.rows("SELECT value FROM scores WHERE score_run_id = ? AND solution_id = ? ORDER BY iteration", report.scoreRunID, ids[0]).map { $0[0] }
        XCTAssertEqual(c1, [.real(1), .real(1.75), .real(2.6875)])
        XCTAssertEqual(try db.rows("SELECT solution_id, rank FROM solution_ranking WHERE score_run_id = ? AND problem_id = 1", report.scoreRunID).map(\.values),
                       [[.integer(ids[0]), .integer(1)], [.integer(ids[1]), .integer(2)]])
        XCTAssertEqual(try db.int("SELECT count(*) FROM executions"), 7, "scoring never executes")
    }

    func testProblemsWithoutTestsOrWithOneSolutionAreCountedNotCrashedOn() throws {
        try problem("no-tests", [[], []])
        try problem("one", [[1, 0]])
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES ('empty', 'e', 'p', ?)", runID)
        let report = try ScoreRunner(db: db, runID: runID, configID: configID).run(PassCount())
        XCTAssertEqual(report.problemsScored, 2)
        XCTAssertEqual(report.problemsWithoutTests, 1)
        XCTAssertEqual(report.problemsWithOneSolution, 1)
        XCTAssertEqual(report.problemsWithoutSolutions, 1)
        XCTAssertEqual(try db.scalar("SELECT problems_skipped FROM score_runs WHERE id = ?", report.scoreRunID), .integer(1))
    }

    func testRescoringMakesANewRunAndKeepsTheOld() throws {
        try problem("A", [[1, 1], [0, 1]])
        let first = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(damping: 0.5, iterations: 2))
        let second = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(damping: 0.9, iterations: 4))
        XCTAssertNotEqual(first.scoreRunID, second.scoreRunID)
        XCTAssertEqual(try db.int("SELECT count(*) FROM scores WHERE score_run_id = ?", first.scoreRunID), 12)
        XCTAssertEqual(try db.int("SELECT count(*) FROM scores WHERE score_run_id = ?", second.scoreRunID), 20)
        XCTAssertEqual(try db.scalar("SELECT parameters FROM score_runs WHERE id = ?", second.scoreRunID)?.string,
                       #"{"damping":0.9,"iterations":4,"tolerance":null,"multiplicity":true}"#)
    }

    func testEarlyStoppedProblemsArePaddedToTheFinalIteration() throws {
        try problem("quick", [[1, 1], [1, 1]])
        try problem("slow", [[1, 1, 0], [1, 0, 0], [0, 0, 1]])
        let report = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(iterations: 30, tolerance: 1e-3))
        XCTAssertGreaterThan(report.finalIteration, 1)
        let perProblem = try db.rows("""
            SELECT s.problem_id, max(sc.iteration) FROM scores sc JOIN solutions s ON s.id = sc.solution_id
            WHERE sc.score_run_id = ? GROUP BY s.problem_id
            """, report.scoreRunID).map { $0[1] }
        XCTAssertEqual(perProblem, [.integer(Int64(report.finalIteration)), .integer(Int64(report.finalIteration))])
    }

    /// B4, MBR-exec, soft-b4 and soft-b4-outcomes runs are score runs like any other: the pair
    /// builder takes their (negative, for the B4 family) scores and the report's strategy
    /// chart lists them.
    func testNewStrategiesFeedPairsAndTheReport() throws {
        // The correct solution passes every test; the wrong cluster of two passes the first two.
        let ids = try problem("N1", [[1, 1, 1, 1], [1, 1, 1, 0]], groundTruth: [true, false], counts: [1, 2])
        var runs: [Int64] = []
        for strategy in [B4(), MBRExec(), SoftB4(), SoftB4Outcomes()] as [ScoringStrategy] {
            runs.append(try ScoreRunner(db: db, runID: runID, configID: configID).run(strategy).scoreRunID)
        }
        let b4Pairs = try PairBuilder(db: db, runID: runID).build(name: "b4", scoreRun: runs[0], efficiencyRun: nil, policy: PairPolicy())
        XCTAssertEqual(b4Pairs.correctnessPairs, 1)
        XCTAssertEqual(try db.rows("SELECT chosen_solution_id, rejected_solution_id FROM pairs WHERE pair_set_id = (SELECT id FROM pair_sets WHERE name = 'b4')").first?.values,
                       [.integer(ids[0]), .integer(ids[1])], "B4 chooses the solution passing every test")
        let data = try ReportData.load(db)
        XCTAssertEqual(Set(data.strategies.map(\.run.strategy)), ["b4", "mbr-exec", "soft-b4", "soft-b4-outcomes"])
        XCTAssertEqual(data.strategies.first { $0.run.strategy == "soft-b4-outcomes" }?.topPassRate, 1)
        XCTAssertEqual(data.strategies.first { $0.run.strategy == "b4" }?.topPassRate, 1)
        XCTAssertEqual(data.strategies.first { $0.run.strategy == "mbr-exec" }?.topPassRate, 0, "MBR-exec takes the larger cluster")
    }

    /// The loader reads how each verdict failed for soft-b4-outcomes: three solutions pass
    /// test 1 and fail test 2, the two correct ones with the same value, the wrong one with
    /// None. soft-b4 ties all three (top-1 2/3); soft-b4-outcomes puts the two first.
    func testSoftB4OutcomesReadsTheFailureMessages() throws {
        let assert7 = "AssertionError: assert 5 == 7 (test line 1)"
        let ids = try problem("O1", [[1, 0], [1, 0], [1, 0]], groundTruth: [true, false, true],
                              errors: [[nil, assert7], [nil, "AssertionError: assert None == 7 (test line 1)"], [nil, assert7]])
        let loader = MatrixLoader(db: db, configID: configID)
        let (plain, _) = try loader.matrix(problem: try db.int("SELECT problem_id FROM solutions WHERE id = ?", ids[0]).map(Int64.init)!)
        XCTAssertNil(plain.outcomes, "pass/fail strategies do not read messages")
        let runner = ScoreRunner(db: db, runID: runID, configID: configID)
        let soft = try runner.run(SoftB4())
        let outcomes = try runner.run(SoftB4Outcomes())
        let evaluator = Evaluator(db: db)
        XCTAssertEqual(try evaluator.evaluate(scoreRun: soft.scoreRunID).topPassRate, 2.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(try evaluator.evaluate(scoreRun: outcomes.scoreRunID).topPassRate, 1)
    }

    func testEvaluationAgainstGroundTruthAndComparison() throws {
        // The correct solution passes most tests; a wrong one passes the trivial one only.
        try problem("E1", [[1, 1, 1], [0, 0, 1], [0, 0, 1]], groundTruth: [true, false, false])
        try problem("E2", [[1, 0], [1, 1]], groundTruth: [false, true], counts: [1, 3])
        let sv = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation())
        let random = try ScoreRunner(db: db, runID: runID, configID: configID).run(RandomScores(seed: 3))
        let evaluator = Evaluator(db: db)
        XCTAssertEqual(try evaluator.missingGroundTruth(scoreRun: sv.scoreRunID), 0)
        let report = try evaluator.evaluate(scoreRun: sv.scoreRunID)
        XCTAssertEqual(report.problems, 2)
        XCTAssertEqual(report.topPassRate, 1)
        XCTAssertEqual(report.randomPassRate, (1.0 / 3 + 3.0 / 4) / 2, accuracy: 1e-12)
        XCTAssertEqual(report.pairPrecision, 1)
        let comparison = try Comparison.compare(db, sv.scoreRunID, sv.scoreRunID)
        XCTAssertEqual(comparison.topAgreement, 1)
        XCTAssertEqual(comparison.spearman, 1)
        XCTAssertEqual(try Comparison.compare(db, sv.scoreRunID, random.scoreRunID).problems, 2)
        // Both problems have correct and incorrect samples: B4's subset is every problem here.
        XCTAssertEqual(report.mixedProblems, 2)
        XCTAssertEqual(report.topPassRateMixed, 1)
        XCTAssertEqual(report.problemTopPassRates.count, 2)
        let versusRandom = try Comparison.compare(db, sv.scoreRunID, random.scoreRunID, bootstrap: Bootstrap(resamples: 200, seed: 1))
        let randomReport = try evaluator.evaluate(scoreRun: random.scoreRunID)
        XCTAssertEqual(versusRandom.topPassRates?.second, randomReport.topPassRate)
        XCTAssertEqual(versusRandom.topDifference?.interval.difference ?? .nan, 1 - randomReport.topPassRate, accuracy: 1e-12)
    }

    func testEvaluationCountsProblemsWithoutGroundTruthAndMissingVerdicts() throws {
        try problem("G1", [[1, 1], [0, 1]], groundTruth: [true, false])
        try problem("G2", [[1], [0]])  // no ground-truth test: counted, not evaluated
        let g3 = try problem("G3", [[1, 0], [1, 1], [0, 0]], groundTruth: [false, true, false])
        // G3's first solution loses its ground-truth verdict: one missing, and it is not correct.
        try db.run("DELETE FROM executions WHERE solution_id = ? AND test_id IN (SELECT id FROM tests WHERE kind = 'ground_truth')", g3[0])
        let sv = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation())
        let evaluator = Evaluator(db: db)
        XCTAssertEqual(try evaluator.missingGroundTruth(scoreRun: sv.scoreRunID), 1)
        let report = try evaluator.evaluate(scoreRun: sv.scoreRunID)
        XCTAssertEqual(report.problems, 2)
        XCTAssertEqual(report.problemsWithoutGroundTruth, 1)
        XCTAssertEqual(report.missingGroundTruthVerdicts, 1)
        XCTAssertEqual(report.randomPassRate, (1.0 / 2 + 1.0 / 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(Set(report.problemTopPassRates.keys).count, 2, "outcomes keep their problem ids")
        // A second evaluator reads the same ground truth afresh: the same numbers.
        XCTAssertEqual(try Evaluator(db: db).evaluate(scoreRun: sv.scoreRunID).topPassRate, report.topPassRate)
    }
}
