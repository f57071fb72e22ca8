import Foundation

/// What a score run did: counts per kind of problem, rows written.
public struct ScoreRunReport: Sendable {
    public var scoreRunID: Int64 = 0
    public var strategy = ""
    public var parameters: JSON = .object([])
    public var configID: Int64 = 0
    public var problemsScored = 0
    public var problemsWithoutTests = 0
    public var problemsWithOneSolution = 0
    public var problemsWithoutSolutions = 0
    public var missingVerdicts = 0
    public var finalIteration = 0
    public var rows = 0
    public var seconds = 0.0
    public var convergedAt: [Int: Int] = [:]

    public var summary: JSON {
        .object([
            ("problems_scored", .int(Int64(problemsScored))), ("problems_without_tests", .int(Int64(problemsWithoutTests))),
            ("problems_with_one_solution", .int(Int64(problemsWithOneSolution))),
            ("problems_without_solutions", .int(Int64(problemsWithoutSolutions))),
            ("missing_verdicts", .int(Int64(missingVerdicts))), ("rows", .int(Int64(rows))),
            ("iterations_run", .object(convergedAt.sorted { $0.key < $1.key }.map { (String($0.key), .int(Int64($0.value))) })),
        ])
    }

    public var json: JSON {
        .object([("score_run", .int(scoreRunID)), ("strategy", .string(strategy)), ("parameters", parameters),
                 ("config_id", .int(configID)), ("final_iteration", .int(Int64(finalIteration))),
                 ("seconds", .double(seconds)), ("summary", summary)])
    }
}

/// Loads pass matrices from the database: one problem at a time, from one execution
/// config's verdicts on one kind of tests. Never executes anything.
public struct MatrixLoader {
    public let db: Database
    public let configID: Int64
    public let testKind: TestKind

    public init(db: Database, configID: Int64, testKind: TestKind = .generated) {
        self.db = db
        self.configID = configID
        self.testKind = testKind
    }

    /// The most recent execution config that has verdicts.
    public static func latestConfig(_ db: Database) throws -> Int64? {
        try db.int("SELECT max(config_id) FROM executions").map(Int64.init)
    }

    public func problemIDs() throws -> [Int64] {
        try db.rows("SELECT id FROM problems ORDER BY id").compactMap { $0[0].int64 }
    }

    /// The matrix of one problem, and how many of its pairs have no verdict (read as fail).
    /// With `outcomes`, also how each verdict ended (`OutcomeSignature`), which reads the
    /// verdicts' messages and not only the status index.
    public func matrix(problem: Int64, outcomes readOutcomes: Bool = false) throws -> (PassMatrix, missing: Int) {
        let solutions = try db.rows("SELECT id, sample_count FROM solutions WHERE problem_id = ? ORDER BY id", problem)
        let tests = try db.rows("SELECT id, sample_count FROM tests WHERE problem_id = ? AND kind = ? ORDER BY id", problem, testKind.rawValue)
        let solutionIDs = solutions.map { $0[0].int64! }
        let testIDs = tests.map { $0[0].int64! }
        var column: [Int64: Int] = [:]
        for (j, id) in testIDs.enumerated() { column[id] = j }
        var passes = [Bool](repeating: false, count: solutionIDs.count * testIDs.count)
        var interner = OutcomeSignature.Interner()
        let missingOutcome = interner.id("missing")
        var outcomes = readOutcomes ? [Int32](repeating: missingOutcome, count: passes.count) : nil
        var seen = 0
        let verdicts = try db.prepare(readOutcomes
            ? "SELECT test_id, status = 'pass', status, error FROM executions WHERE config_id = ? AND solution_id = ?"
            : "SELECT test_id, status = 'pass' FROM executions WHERE config_id = ? AND solution_id = ?")
        for (i, solution) in solutionIDs.enumerated() where !testIDs.isEmpty {
            try verdicts.bind(configID, at: 1)
            try verdicts.bind(solution, at: 2)
            try verdicts.forEachRow { row in
                guard let j = column[row.int64(at: 0)] else { return }
                seen += 1
                if row.int64(at: 1) != 0 { passes[i * testIDs.count + j] = true }
                if readOutcomes {
                    outcomes![i * testIDs.count + j] = interner.id(OutcomeSignature.of(status: row.string(at: 2), error: row.optionalString(at: 3)))
                }
            }
        }
        let matrix = PassMatrix(solutions: solutionIDs, tests: testIDs,
                                solutionCounts: solutions.map { max(1, $0[1].int ?? 1) },
                                testCounts: tests.map { max(1, $0[1].int ?? 1) }, passes: passes, outcomes: outcomes)
        return (matrix, solutionIDs.count * testIDs.count - seen)
    }
}

/// Runs a strategy over every problem and stores a score run: the score of every solution and
/// every test at every iteration, in one transaction.
public struct ScoreRunner {
    public let db: Database
    public let runID: Int64
    public let configID: Int64
    public let testKind: TestKind

    public init(db: Database, runID: Int64, configID: Int64, testKind: TestKind = .generated) {
        self.db = db
        self.runID = runID
        self.configID = configID
        self.testKind = testKind
    }

    public func run(_ strategy: ScoringStrategy) throws -> ScoreRunReport {
        let start = DispatchTime.now().uptimeNanoseconds
        var report = ScoreRunReport(strategy: strategy.name, parameters: strategy.parameters, configID: configID)
        guard try db.int("SELECT count(*) FROM execution_configs WHERE id = ?", configID) == 1 else {
            throw StoreError("no execution config \(configID): see `codedpo query \"SELECT id, timeout_s, isolation FROM execution_configs\"`")
        }
        let loader = MatrixLoader(db: db, configID: configID, testKind: testKind)
        try db.transaction {
            try db.run("INSERT INTO score_runs (run_id, strategy, parameters, config_id, test_kind) VALUES (?, ?, ?, ?, ?)",
                       runID, strategy.name, strategy.parameters.text, configID, testKind.rawValue)
            report.scoreRunID = db.lastInsertRowID
            let insertSolution = try db.prepare("INSERT INTO scores (score_run_id, iteration, solution_id, value) VALUES (?, ?, ?, ?)")
            let insertTest = try db.prepare("INSERT INTO scores (score_run_id, iteration, test_id, value) VALUES (?, ?, ?, ?)")
            // Strategies that stop early are padded to the run's last iteration, so every
            // problem has scores at `final_iteration` (the converged values, unchanged).
            var results: [(PassMatrix, ScoreResult)] = []
            var finalIteration = 0
            func flush() throws {
                for (matrix, result) in results {
                    for k in 0...finalIteration {
                        let codes = result.solutionScores[min(k, result.iterations)]
                        let tests = result.testScores[min(k, result.iterations)]
                        for (i, id) in matrix.solutions.enumerated() {
                            try insertSolution.bind(report.scoreRunID, at: 1)
                            try insertSolution.bind(Int64(k), at: 2)
                            try insertSolution.bind(id, at: 3)
                            try insertSolution.bind(codes[i], at: 4)
                            try insertSolution.step()
                            insertSolution.reset()
                        }
                        for (j, id) in matrix.tests.enumerated() {
                            try insertTest.bind(report.scoreRunID, at: 1)
                            try insertTest.bind(Int64(k), at: 2)
                            try insertTest.bind(id, at: 3)
                            try insertTest.bind(tests[j], at: 4)
                            try insertTest.step()
                            insertTest.reset()
                        }
                        report.rows += matrix.solutions.count + matrix.tests.count
                    }
                }
                results.removeAll()
            }
            for problem in try loader.problemIDs() {
                let (matrix, missing) = try loader.matrix(problem: problem, outcomes: strategy.usesOutcomes)
                report.missingVerdicts += missing
                if matrix.solutionCount == 0 {
                    report.problemsWithoutSolutions += 1
                    continue
                }
                if matrix.testCount == 0 { report.problemsWithoutTests += 1 }
                if matrix.solutionCount == 1 { report.problemsWithOneSolution += 1 }
                let result = strategy.score(matrix)
                report.problemsScored += 1
                report.convergedAt[result.iterations, default: 0] += 1
                if result.iterations > finalIteration {
                    // A later problem ran longer: earlier ones are padded when written, so
                    // keep them until the run's last iteration is known.
                    finalIteration = result.iterations
                }
                results.append((matrix, result))
                // Only strategies with early stopping can raise the final iteration later;
                // the others are written as they come, keeping memory flat.
                if !(strategy is SelfValidation && (strategy as! SelfValidation).tolerance != nil) { try flush() }
            }
            try flush()
            report.finalIteration = finalIteration
            try db.run("""
                UPDATE score_runs SET final_iteration = ?, problems_scored = ?, problems_skipped = ?, summary = ? WHERE id = ?
                """, finalIteration, report.problemsScored, report.problemsWithoutSolutions, report.summary.text, report.scoreRunID)
        }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return report
    }
}
