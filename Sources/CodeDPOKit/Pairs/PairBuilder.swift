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
            // Candidates problem by problem (streamed: one problem in memory): final score and
            // code. Whether a candidate passes any generated test is looked up only for the
            // chosen side the rules read (`PairRules.chosenSide`), with EXISTS stopping at the
            // first pass: the rules only ask passes == 0.
            let candidates = try db.prepare("""
                SELECT s.problem_id AS problem_id, s.id AS solution_id, sc.value AS score, s.code AS code
                FROM solutions s CROSS JOIN scores sc ON sc.score_run_id = ?1 AND sc.solution_id = s.id AND sc.iteration = ?2
                WHERE \(ContaminationFilter.condition(problemColumn: "s.problem_id", allowContaminated: policy.allowContaminated))
                ORDER BY s.problem_id
                """)
            let passesAny = try db.prepare("""
                SELECT EXISTS (SELECT 1 FROM executions e JOIN tests t ON t.id = e.test_id
                               WHERE e.config_id = ? AND e.solution_id = ? AND e.status = 'pass' AND t.kind = 'generated') AS passes
                """)
            if !policy.allowContaminated {
                report.reasons["contaminated"] = try db.int("""
                    SELECT count(DISTINCT s.problem_id) FROM solutions s
                    CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
                    WHERE s.problem_id IN (SELECT problem_id FROM contaminated_problems)
                    """, scoreRun, run.finalIteration)
                if report.reasons["contaminated"] == 0 { report.reasons["contaminated"] = nil }
            }
            try candidates.bind([scoreRun, Int64(run.finalIteration)])
            var current: (problem: Int64, candidates: [Candidate])?
            func pairUp(_ problem: Int64, _ candidates: [Candidate]) throws {
                report.problems += 1
                guard policy.correctness else { return }
                var list = candidates
                for id in PairRules.chosenSide(list, policy: policy) {
                    guard let index = list.firstIndex(where: { $0.solutionID == id }) else { continue }
                    passesAny.reset()
                    try passesAny.bind([run.configID, id])
                    list[index].passes = try passesAny.step() ? passesAny.int(at: try passesAny.column("passes")) : 0
                }
                passesAny.reset()
                let (pairs, reasons) = PairRules.correctness(list.sorted { $0.solutionID < $1.solutionID }, policy: policy)
                for reason in reasons { report.reasons["correctness." + reason.rawValue, default: 0] += 1 }
                for pair in pairs {
                    try insert.execute(report.pairSetID, problem, "correctness", pair.chosen, pair.rejected,
                                       pair.chosenScore, pair.rejectedScore, pair.margin,
                                       JSON.object([("strategy", .string(run.strategy))]).text)
                    report.correctnessPairs += 1
                }
            }
            let column = Dictionary(uniqueKeysWithValues: candidates.columnNames.enumerated().map { ($1, $0) })
            try candidates.forEachRow { row in
                let problem = row.int64(at: column["problem_id"]!)
                // `passes` is looked up in pairUp for the candidates the rules read it of.
                let candidate = Candidate(solutionID: row.int64(at: column["solution_id"]!), score: row.double(at: column["score"]!),
                                          passes: 1, code: row.string(at: column["code"]!))
                if let open = current, open.problem != problem {
                    try pairUp(open.problem, open.candidates)
                    current = nil
                }
                if current == nil { current = (problem, []) }
                current!.candidates.append(candidate)
            }
            if let open = current { try pairUp(open.problem, open.candidates) }
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
