import Foundation

/// Loading the report from a database: counts and small tables by SQL aggregates, the focused
/// score run through `ReportFocus` (one problem at a time), rows read by column name.
extension ReportData {
    public static func load(_ db: Database, options: Options = Options()) throws -> ReportData {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var data = ReportData(databasePath: db.path, generatedAt: formatter.string(from: options.generatedAt))
        let evaluator = Evaluator(db: db)
        data.scoreRuns = try db.rows("""
            SELECT id, strategy, parameters, config_id, test_kind, final_iteration, problems_scored, created_at
            FROM score_runs ORDER BY id
            """).map { row in
            ScoreRunInfo(id: row["id"].int64 ?? 0, strategy: row["strategy"].string ?? "", parameters: row["parameters"].string ?? "{}",
                         configID: row["config_id"].int64 ?? 0, testKind: row["test_kind"].string ?? "generated",
                         finalIteration: row["final_iteration"].int ?? 0, problemsScored: row["problems_scored"].int ?? 0,
                         createdAt: row["created_at"].string ?? "")
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
        // The focused run's pass over every verdict also counts them by status.
        var statuses: [(status: String, count: Int)]?
        // The focused run's evaluation, from the final scores its pass reads (the strategy
        // section then skips reading them again when it is its strategy's latest run).
        var evaluated: [Int64: EvaluationReport] = [:]
        if let run = data.scoreRun {
            data.pairSet = try db.rows("SELECT name FROM pair_sets WHERE score_run_id = ? ORDER BY id DESC LIMIT 1", run.id).first?["name"].string
            let iterative = run.strategy == "self-validation" && run.finalIteration > 0
            let focus = try ReportFocus(db: db, run: run, groundTruth: try evaluator.groundTruth(configID: run.configID))
            statuses = focus.statusCounts
            let pairsPerProblem = try data.correctnessPairCounts(db)
            var candidates: [ReportMath.MatrixCandidate] = []
            var convergence = iterative ? ReportMath.ConvergenceTotals(iterations: run.finalIteration + 1, trajectoryLimit: options.trajectories) : nil
            let latestOfItsStrategy = data.scoreRuns.last { $0.strategy == run.strategy }?.id == run.id
            let samples = data.groundTruthTests > 0 && latestOfItsStrategy ? try evaluator.solutionTable().samples : nil
            var outcomes = OutcomeCollector(groundTruth: try evaluator.groundTruth(configID: run.configID))
            try focus.forEachProblem(history: iterative) { slice in
                if let samples {
                    outcomes.add(problem: slice.problem, zip(slice.solutionIDs, slice.finalSolutions).map { solution, score in
                        (solution, score, Int(solution) < samples.count ? Int(samples[Int(solution)]) : 1)
                    })
                }
                let solutionNorm = ReportMath.normalize(slice.finalSolutions)
                let testNorm = ReportMath.normalize(slice.finalTests)
                data.distribution.solutionScores += solutionNorm
                data.distribution.testScores += testNorm
                data.distribution.problems += 1
                let (passedBy, right) = focus.testVerdicts(slice)
                candidates.append(ReportMath.MatrixCandidate(problem: slice.problem, pairs: pairsPerProblem[slice.problem] ?? 0,
                                                             flagged: ReportMath.flaggedTests(passedBy: passedBy, normalized: testNorm, right: right),
                                                             spread: (solutionNorm.max() ?? 0) - (solutionNorm.min() ?? 0)))
                convergence?.add(problem: slice.problem, solutionValues: slice.solutionValues,
                                 solutionNorm: ReportMath.normalizedHistories(slice.solutionValues, iterations: run.finalIteration + 1),
                                 testIDs: slice.testIDs, testNorm: ReportMath.normalizedHistories(slice.testValues, iterations: run.finalIteration + 1),
                                 passedBy: passedBy, right: right)
            }
            if samples != nil { evaluated[run.id] = outcomes.report(run: run.record) }
            if let convergence {
                data.convergence = try Self.convergence(db, run: run, totals: convergence)
            } else if let other = data.scoreRuns.last(where: { $0.strategy == "self-validation" && $0.finalIteration > 0 }) {
                data.convergence = try Self.convergence(db, run: other, groundTruth: try evaluator.groundTruth(configID: other.configID),
                                                        trajectories: options.trajectories)
            } else {
                data.convergenceNote = "\(run.label) is not iterative, and there is no self-validation run: "
                    + "run `codedpo score --strategy self-validation` to see convergence"
            }
            data.requestedProblems = options.problems
            var chosen = ReportMath.MatrixCandidate.ordered(candidates)
            if !options.problems.isEmpty {
                let wanted = try options.problems.map { name -> Int64 in
                    guard let id = try db.int("SELECT id FROM problems WHERE external_id = ?", name) else {
                        throw StoreError("no problem \"\(name)\"")
                    }
                    return Int64(id)
                }
                // The problems asked for, in that order (a problem the run did not score has no matrix).
                let byID = Dictionary(chosen.map { ($0.problem, $0) }, uniquingKeysWith: { a, _ in a })
                chosen = wanted.compactMap { byID[$0] }
            }
            let limit = options.problems.isEmpty ? options.matrices : options.problems.count
            data.problems = try chosen.prefix(max(limit, 0)).compactMap { try Self.matrix(db, focus: focus, candidate: $0, pairSet: data.pairSet) }
        }
        try data.loadCounts(db, statuses: statuses)
        try data.loadStrategies(db, evaluator: evaluator, evaluated: evaluated)
        try data.loadEfficiency(db)
        return data
    }

    /// Correctness pairs per problem in the focused pair set (an SQL aggregate).
    func correctnessPairCounts(_ db: Database) throws -> [Int64: Int] {
        guard let pairSet else { return [:] }
        var counts: [Int64: Int] = [:]
        for row in try db.rows("""
            SELECT p.problem_id, count(*) AS pairs FROM pairs p JOIN pair_sets ps ON ps.id = p.pair_set_id
            WHERE ps.name = ? AND p.kind = 'correctness' GROUP BY p.problem_id
            """, pairSet) {
            counts[row["problem_id"].int64 ?? 0] = row["pairs"].int ?? 0
        }
        return counts
    }

    /// The convergence section of another run than the focused one (its own pass).
    static func convergence(_ db: Database, run: ScoreRunInfo, groundTruth: GroundTruthTable, trajectories: Int) throws -> Convergence {
        let focus = try ReportFocus(db: db, run: run, groundTruth: groundTruth)
        var totals = ReportMath.ConvergenceTotals(iterations: run.finalIteration + 1, trajectoryLimit: trajectories)
        try focus.forEachProblem(history: true) { slice in
            let (passedBy, right) = focus.testVerdicts(slice)
            totals.add(problem: slice.problem, solutionValues: slice.solutionValues,
                       solutionNorm: ReportMath.normalizedHistories(slice.solutionValues, iterations: run.finalIteration + 1),
                       testIDs: slice.testIDs, testNorm: ReportMath.normalizedHistories(slice.testValues, iterations: run.finalIteration + 1),
                       passedBy: passedBy, right: right)
        }
        return try convergence(db, run: run, totals: totals)
    }

    static func convergence(_ db: Database, run: ScoreRunInfo, totals: ReportMath.ConvergenceTotals) throws -> Convergence {
        var result = Convergence(run: run)
        result.solutionChange = totals.meanSolutionChange()
        result.testChange = totals.meanTestChange()
        result.topChanged = totals.topChangedShare()
        result.wrongTestMean = totals.wrongMean()
        result.rightTestMean = totals.rightMean()
        result.wrongTests = totals.wrong
        result.rightTests = totals.right
        let chosen = totals.trajectories()
        if !chosen.isEmpty {
            let ids = chosen.map { String($0.test) }.joined(separator: ",")
            var codes: [Int64: (code: String, problem: String)] = [:]
            for row in try db.rows("SELECT t.id, t.code, p.external_id FROM tests t JOIN problems p ON p.id = t.problem_id WHERE t.id IN (\(ids))") {
                codes[row["id"].int64 ?? 0] = (row["code"].string ?? "", row["external_id"].string ?? "?")
            }
            result.trajectories = chosen.map {
                Trajectory(testID: $0.test, problem: codes[$0.test]?.problem ?? "?", code: codes[$0.test]?.code ?? "", values: $0.values,
                           right: $0.right, passedBy: $0.passedBy)
            }
        }
        return result
    }

    /// One chosen problem's pass matrix, read with per-problem queries.
    static func matrix(_ db: Database, focus: ReportFocus, candidate: ReportMath.MatrixCandidate, pairSet: String?) throws -> ProblemMatrix? {
        let problem = candidate.problem
        let run = focus.run
        guard let info = try db.rows("SELECT external_id, prompt, entry_point FROM problems WHERE id = ?", problem).first else { return nil }
        var finalSolution: [Int64: Double] = [:], finalTest: [Int64: Double] = [:]
        for row in try db.rows("""
            SELECT s.id AS id, sc.value AS value FROM solutions s CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
            WHERE s.problem_id = ?
            """, run.id, run.finalIteration, problem) { finalSolution[row["id"].int64 ?? 0] = row["value"].double }
        for row in try db.rows("""
            SELECT t.id AS id, sc.value AS value FROM tests t CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.test_id = t.id AND sc.iteration = ?
            WHERE t.problem_id = ?
            """, run.id, run.finalIteration, problem) { finalTest[row["id"].int64 ?? 0] = row["value"].double }
        let solutionIDs = finalSolution.keys.sorted(), testIDs = finalTest.keys.sorted()
        let solutionNorm = Dictionary(uniqueKeysWithValues: zip(solutionIDs, ReportMath.normalize(solutionIDs.map { finalSolution[$0]! })))
        let testNorm = Dictionary(uniqueKeysWithValues: zip(testIDs, ReportMath.normalize(testIDs.map { finalTest[$0]! })))
        let solutions = try db.rows("SELECT id, sample_count, code FROM solutions WHERE problem_id = ?", problem).compactMap { row -> MatrixSolution? in
            guard let id = row["id"].int64, let score = finalSolution[id] else { return nil }
            return MatrixSolution(id: id, score: score, normalized: solutionNorm[id] ?? 0, samples: row["sample_count"].int ?? 1,
                                  code: row["code"].string ?? "", correct: focus.correctness(of: id))
        }.sorted { ($0.score, $0.samples, -$0.id) > ($1.score, $1.samples, -$1.id) }
        let testRows = try db.rows("SELECT id, kind, code FROM tests WHERE problem_id = ? ORDER BY id", problem)
        let tests = testRows.compactMap { row -> MatrixTest? in
            guard let id = row["id"].int64, let score = finalTest[id] else { return nil }
            return MatrixTest(id: id, score: score, normalized: testNorm[id], code: row["code"].string ?? "")
        }.sorted { ($0.score ?? 0, -$0.id) > ($1.score ?? 0, -$1.id) }
        var verdicts: [Int64: [Int64: String]] = [:]
        for row in try db.rows("""
            SELECT e.solution_id, e.test_id, e.status FROM solutions s CROSS JOIN executions e ON e.config_id = ? AND e.solution_id = s.id
            WHERE s.problem_id = ?
            """, run.configID, problem) {
            verdicts[row["solution_id"].int64 ?? 0, default: [:]][row["test_id"].int64 ?? 0] = row["status"].string
        }
        let executedTests = Set(verdicts.values.flatMap(\.keys))
        let groundTruth = testRows.compactMap { row -> MatrixTest? in
            guard let id = row["id"].int64, row["kind"].string == "ground_truth", finalTest[id] == nil, executedTests.contains(id) else { return nil }
            return MatrixTest(id: id, score: nil, normalized: nil, code: row["code"].string ?? "")
        }
        var pairs: [(chosen: Int64, rejected: Int64)] = []
        if let pairSet {
            for row in try db.rows("""
                SELECT p.chosen_solution_id, p.rejected_solution_id FROM pairs p JOIN pair_sets ps ON ps.id = p.pair_set_id
                WHERE ps.name = ? AND p.problem_id = ? AND p.kind = 'correctness' ORDER BY p.id
                """, pairSet, problem) {
                pairs.append((row["chosen_solution_id"].int64 ?? 0, row["rejected_solution_id"].int64 ?? 0))
            }
        }
        return ProblemMatrix(problemID: problem, externalID: info["external_id"].string ?? "", prompt: info["prompt"].string ?? "",
                             entryPoint: info["entry_point"].string, solutions: solutions, tests: tests, groundTruth: groundTruth,
                             verdicts: verdicts, pairs: pairs, why: candidate.why)
    }

    /// `statuses`: verdicts per status when a pass over the verdicts counted them already.
    mutating func loadCounts(_ db: Database, statuses: [(status: String, count: Int)]? = nil) throws {
        func add(_ stage: String, _ item: String, _ sql: String) throws {
            counts.append(Count(stage: stage, item: item, value: try db.int(sql) ?? 0))
        }
        func breakdown(_ stage: String, _ suffix: String, _ sql: String) throws {
            for row in try db.rows(sql) {
                let value = (row["name"].string ?? "NULL").replacingOccurrences(of: "_", with: "-")
                counts.append(Count(stage: stage, item: "\(value) \(suffix)", value: row["count"].int ?? 0))
            }
        }
        try add("seeds", "seeds", "SELECT count(*) FROM seeds")
        try add("generation", "LLM requests", "SELECT count(*) FROM generations")
        try add("problems", "problems", "SELECT count(*) FROM problems")
        try add("solutions", "distinct solutions", "SELECT count(*) FROM solutions")
        try add("solutions", "samples", "SELECT coalesce(sum(sample_count), 0) FROM solutions")
        try breakdown("tests", "tests", "SELECT kind AS name, count(*) AS count FROM tests GROUP BY kind ORDER BY kind DESC")
        try add("execution", "execution configs", "SELECT count(*) FROM execution_configs")
        executionStatuses = try statuses ?? Self.statusCounts(db)
        // The verdict total is the sum of the per-status counts: one pass over the verdicts.
        counts.append(Count(stage: "execution", item: "verdicts", value: executionStatuses.reduce(0) { $0 + $1.count }))
        for (status, count) in executionStatuses {
            counts.append(Count(stage: "execution", item: "\(status.replacingOccurrences(of: "_", with: "-")) verdicts", value: count))
        }
        try add("scoring", "score runs", "SELECT count(*) FROM score_runs")
        try breakdown("scoring", "runs", "SELECT strategy AS name, count(*) AS count FROM score_runs GROUP BY strategy ORDER BY strategy")
        try add("efficiency", "efficiency runs", "SELECT count(*) FROM efficiency_runs")
        try add("efficiency", "timings", "SELECT count(*) FROM timings")
        try breakdown("efficiency", "solutions", "SELECT status AS name, count(*) AS count FROM efficiency_results GROUP BY status ORDER BY status DESC")
        try add("pairs", "pair sets", "SELECT count(*) FROM pair_sets")
        try breakdown("pairs", "pairs", "SELECT kind AS name, count(*) AS count FROM pairs GROUP BY kind ORDER BY kind")
        try add("exports", "exports", "SELECT count(*) FROM exports")
        try breakdown("exports", "files", "SELECT format AS name, count(*) AS count FROM exports GROUP BY format ORDER BY format")
    }

    /// Verdicts per status, most first (ties by name), statuses with none left out. One pass
    /// over the verdict index with a count per status (the statuses are a closed list):
    /// `GROUP BY status` sorted every verdict in a temporary B-tree first.
    static func statusCounts(_ db: Database) throws -> [(status: String, count: Int)] {
        let columns = VerdictStatus.names.map { "count(*) FILTER (WHERE status = '\($0)') AS \"\($0)\"" }.joined(separator: ", ")
        guard let row = try db.rows("SELECT \(columns) FROM executions").first else { return [] }
        return ordered(VerdictStatus.names.map { (status: $0, count: row[$0].int ?? 0) })
    }

    /// Statuses with verdicts, most first, ties by name.
    static func ordered(_ counts: [(status: String, count: Int)]) -> [(status: String, count: Int)] {
        counts.filter { $0.count > 0 }.sorted { ($1.count, $0.status) < ($0.count, $1.status) }
    }

    /// Speedups of the efficiency pairs of the latest pair set that has any (one built on the
    /// focused score run first).
    mutating func loadEfficiency(_ db: Database) throws {
        let sets = try db.rows("""
            SELECT ps.id, ps.name, ps.efficiency_run_id, ps.policy FROM pair_sets ps
            WHERE ps.efficiency_run_id IS NOT NULL AND EXISTS (SELECT 1 FROM pairs p WHERE p.pair_set_id = ps.id AND p.kind = 'efficiency')
            ORDER BY (ps.score_run_id = ?) DESC, ps.id DESC LIMIT 1
            """, scoreRun?.id ?? -1)
        guard let set = sets.first, let runID = set["efficiency_run_id"].int64 else {
            let runs = try db.int("SELECT count(*) FROM efficiency_runs") ?? 0
            efficiencyNote = runs == 0
                ? "no efficiency runs yet — run codedpo efficiency --score-run N, then codedpo pairs --efficiency-run M"
                : "no efficiency pairs yet — run codedpo pairs --score-run N --efficiency-run M --name NAME"
            return
        }
        let policy = (try? JSON.parse(set["policy"].string ?? "{}")) ?? .null
        let rows = try db.rows("""
            SELECT pr.external_id AS problem, p.chosen_solution_id AS chosen, p.rejected_solution_id AS rejected,
                   c.median AS chosen_median, r.median AS rejected_median, coalesce(c.unit, r.unit, '') AS unit
            FROM pairs p JOIN problems pr ON pr.id = p.problem_id
            JOIN efficiency_results c ON c.efficiency_run_id = ? AND c.solution_id = p.chosen_solution_id
            JOIN efficiency_results r ON r.efficiency_run_id = ? AND r.solution_id = p.rejected_solution_id
            WHERE p.pair_set_id = ? AND p.kind = 'efficiency' AND c.median IS NOT NULL AND r.median IS NOT NULL
            ORDER BY p.id
            """, runID, runID, set["id"].int64 ?? 0)
        efficiency = Efficiency(pairSet: set["name"].string ?? "", efficiencyRunID: runID, minSpeedup: policy["min_speedup"]?.doubleValue ?? 1.1,
                                speedups: rows.map {
                                    Speedup(problem: $0["problem"].string ?? "", chosen: $0["chosen"].int64 ?? 0, rejected: $0["rejected"].int64 ?? 0,
                                            chosenMedian: $0["chosen_median"].double ?? 0, rejectedMedian: $0["rejected_median"].double ?? 0,
                                            unit: $0["unit"].string ?? "")
                                })
    }
}
