import Foundation

public struct PairSetReport: Sendable {
    public var pairSetID: Int64 = 0
    public var name = ""
    public var correctnessPairs = 0
    public var efficiencyPairs = 0
    public var problems = 0
    public var reasons: [String: Int] = [:]
    /// Speedups (slow / fast) of the efficiency pairs: the paper's numbers.
    public var speedups: [Double] = []

    public var summary: JSON {
        .object([
            ("correctness_pairs", .int(Int64(correctnessPairs))), ("efficiency_pairs", .int(Int64(efficiencyPairs))),
            ("problems", .int(Int64(problems))),
            ("no_pair", .object(reasons.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("efficiency_speedups", SpeedupDistribution(speedups).json),
        ])
    }
}

/// Builds a named pair set from a score run and, optionally, an efficiency run.
public struct PairBuilder {
    public let db: Database
    public let runID: Int64

    public init(db: Database, runID: Int64) {
        self.db = db
        self.runID = runID
    }

    public func build(name: String, scoreRun: Int64, efficiencyRun: Int64?, policy: PairPolicy) throws -> PairSetReport {
        guard !name.isEmpty else { throw StoreError("a pair set needs a name (--name)") }
        if let existing = try db.int("SELECT id FROM pair_sets WHERE name = ?", name) {
            throw StoreError("a pair set named \"\(name)\" already exists (id \(existing)): pair sets are never overwritten; choose another --name")
        }
        let run = try ScoreRunRecord.load(db, scoreRun)
        if let efficiencyRun, try db.int("SELECT count(*) FROM efficiency_runs WHERE id = ?", efficiencyRun) != 1 {
            throw StoreError("no efficiency run \(efficiencyRun): run `codedpo efficiency --score-run \(scoreRun)` first")
        }
        var report = PairSetReport(name: name)
        var policyJSON = policy.json.objectValue ?? []
        policyJSON.append(("score_run", .int(scoreRun)))
        policyJSON.append(("efficiency_run", JSON(efficiencyRun)))
        try db.transaction {
            try db.run("INSERT INTO pair_sets (name, run_id, score_run_id, efficiency_run_id, policy) VALUES (?, ?, ?, ?, ?)",
                       name, runID, scoreRun, efficiencyRun, JSON.object(policyJSON).text)
            report.pairSetID = db.lastInsertRowID
            let insert = try db.prepare("""
                INSERT INTO pairs (pair_set_id, problem_id, kind, chosen_solution_id, rejected_solution_id, chosen_score, rejected_score, margin, metadata)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            // Candidates of every problem: final score, generated tests passed, code.
            let rows = try db.rows("""
                SELECT s.problem_id, s.id, sc.value, s.code,
                       (SELECT count(*) FROM executions e JOIN tests t ON t.id = e.test_id
                         WHERE e.config_id = ? AND e.solution_id = s.id AND t.kind = 'generated' AND e.status = 'pass')
                FROM scores sc JOIN solutions s ON s.id = sc.solution_id
                WHERE sc.score_run_id = ? AND sc.iteration = ?
                  AND \(ContaminationFilter.condition(problemColumn: "s.problem_id", allowContaminated: policy.allowContaminated))
                ORDER BY s.problem_id, s.id
                """, run.configID, scoreRun, run.finalIteration)
            if !policy.allowContaminated {
                report.reasons["contaminated"] = try db.int("""
                    SELECT count(DISTINCT s.problem_id) FROM scores sc JOIN solutions s ON s.id = sc.solution_id
                    WHERE sc.score_run_id = ? AND sc.iteration = ? AND s.problem_id IN (SELECT problem_id FROM contaminated_problems)
                    """, scoreRun, run.finalIteration)
                if report.reasons["contaminated"] == 0 { report.reasons["contaminated"] = nil }
            }
            var byProblem: [(Int64, [Candidate])] = []
            for row in rows {
                let candidate = Candidate(solutionID: row[1].int64!, score: row[2].double!, passes: row[4].int!, key: PairRules.key(row[3].string!))
                if byProblem.last?.0 == row[0].int64 { byProblem[byProblem.count - 1].1.append(candidate) } else { byProblem.append((row[0].int64!, [candidate])) }
            }
            report.problems = byProblem.count
            if policy.correctness {
                for (problem, candidates) in byProblem {
                    let (pairs, reasons) = PairRules.correctness(candidates, policy: policy)
                    for reason in reasons { report.reasons["correctness." + reason.rawValue, default: 0] += 1 }
                    for pair in pairs {
                        try insert.execute(report.pairSetID, problem, "correctness", pair.chosen, pair.rejected,
                                           pair.chosenScore, pair.rejectedScore, pair.margin,
                                           JSON.object([("strategy", .string(run.strategy))]).text)
                        report.correctnessPairs += 1
                    }
                }
            }
            if policy.efficiency, let efficiencyRun {
                let timed = try db.rows("""
                    SELECT r.problem_id, r.solution_id, r.median, coalesce(r.spread, 0), s.code, r.unit
                    FROM efficiency_results r JOIN solutions s ON s.id = r.solution_id
                    WHERE r.efficiency_run_id = ? AND r.status IN ('ranked', 'noisy')
                    ORDER BY r.problem_id, r.solution_id
                    """, efficiencyRun)
                var groups: [(Int64, [PairRules.Timed], String)] = []
                for row in timed {
                    let entry = PairRules.Timed(solutionID: row[1].int64!, median: row[2].double!, spread: row[3].double!, key: PairRules.key(row[4].string!))
                    if groups.last?.0 == row[0].int64 { groups[groups.count - 1].1.append(entry) } else { groups.append((row[0].int64!, [entry], row[5].string ?? "")) }
                }
                for (problem, entries, unit) in groups {
                    let (pairs, reasons) = PairRules.efficiency(entries, policy: policy)
                    for reason in reasons { report.reasons["efficiency." + reason.rawValue, default: 0] += 1 }
                    for pair in pairs {
                        try insert.execute(report.pairSetID, problem, "efficiency", pair.chosen, pair.rejected,
                                           pair.chosenScore, pair.rejectedScore, pair.margin,
                                           JSON.object([("unit", .string(unit)), ("speedup", .double(pair.margin))]).text)
                        report.efficiencyPairs += 1
                        report.speedups.append(pair.margin)
                    }
                }
            }
            try db.run("UPDATE pair_sets SET summary = ? WHERE id = ?", report.summary.text, report.pairSetID)
        }
        return report
    }
}
