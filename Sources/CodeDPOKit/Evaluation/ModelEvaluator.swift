import Foundation

/// What `eval models` measures: which models, which k, which benchmarks, under which config.
public struct ModelEvaluationOptions: Sendable {
    public var models: [String]
    public var ks: [Int] = [1]
    /// Benchmark names (the external id before its last "/"); empty: every problem with
    /// ground-truth tests.
    public var benchmarks: [String] = []
    public var efficiency = false

    public init(models: [String]) { self.models = models }
}

/// Loads models' samples and their ground-truth verdicts from the database and stores an
/// evaluation. Reads verdicts under one execution config; missing verdicts count as not
/// passing (`eval models` executes them first).
public struct ModelEvaluator {
    public let db: Database

    public init(db: Database) { self.db = db }

    /// Models with solutions, and how many samples each has.
    public func knownModels() throws -> [(model: String, samples: Int)] {
        try db.rows("SELECT model, sum(count) AS samples FROM solution_sources WHERE model IS NOT NULL GROUP BY model ORDER BY model")
            .map { ($0["model"].string!, $0["samples"].int ?? 0) }
    }

    /// Refuses unknown models and benchmarks without problems, naming what exists.
    public func check(_ options: ModelEvaluationOptions) throws {
        guard !options.models.isEmpty else { throw StoreError("give at least one --model") }
        let known = Set(try knownModels().map(\.model))
        if let unknown = options.models.first(where: { !known.contains($0) }) {
            let list = known.sorted().joined(separator: ", ")
            throw StoreError("""
                no solutions from model "\(unknown)" (models with solutions: \(list.isEmpty ? "none" : list)). Import its samples \
                (codedpo import solutions FILE --model \(unknown)) or pass --endpoint to generate them. Nothing was stored.
                """)
        }
        if let bad = options.ks.first(where: { $0 < 1 }) { throw StoreError("--k must be at least 1, not \(bad)") }
        let names = try benchmarkNames()
        if let missing = options.benchmarks.first(where: { !names.contains($0) }) {
            throw StoreError("no benchmark \"\(missing)\" with ground-truth tests (benchmarks: \(names.sorted().joined(separator: ", "))). Nothing was stored.")
        }
    }

    /// Benchmark names of the problems that have ground-truth tests.
    public func benchmarkNames() throws -> Set<String> {
        Set(try db.rows("SELECT DISTINCT p.external_id FROM problems p WHERE EXISTS (SELECT 1 FROM tests t WHERE t.problem_id = p.id AND t.kind = 'ground_truth')")
            .map { ModelProblemOutcome.benchmark(of: $0[0].string!) })
    }

    /// External ids of the problems in scope.
    public func problems(_ options: ModelEvaluationOptions) throws -> [String] {
        let wanted = Set(options.benchmarks)
        return try db.rows("SELECT p.external_id FROM problems p WHERE EXISTS (SELECT 1 FROM tests t WHERE t.problem_id = p.id AND t.kind = 'ground_truth') ORDER BY p.id")
            .map { $0[0].string! }.filter { wanted.isEmpty || wanted.contains(ModelProblemOutcome.benchmark(of: $0)) }
    }

    /// An SQL condition on solutions `s` that selects the models' solutions (for the executor).
    public static func solutionCondition(models: [String]) -> String {
        let list = models.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
        return "s.id IN (SELECT solution_id FROM solution_sources WHERE model IN (\(list)))"
    }

    public func outcomes(_ options: ModelEvaluationOptions, configID: Int64) throws -> [ModelProblemOutcome] {
        let scope = Set(try problems(options))
        let models = options.models.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
        // Per solution of each model: its samples, its base and all ground-truth tests and how
        // many of each it passes under the config, and its CPU seconds over them.
        let rows = try db.rows("""
            SELECT p.external_id AS problem, ss.model, s.id AS solution, sum(ss.count) AS samples,
                   (SELECT count(*) FROM tests t WHERE t.problem_id = p.id AND t.kind = 'ground_truth' AND coalesce(t.test_set, 'base') = 'base') AS base_tests,
                   (SELECT count(*) FROM tests t WHERE t.problem_id = p.id AND t.kind = 'ground_truth') AS all_tests,
                   (SELECT count(*) FROM executions e JOIN tests t ON t.id = e.test_id WHERE e.config_id = ?1 AND e.solution_id = s.id
                      AND t.kind = 'ground_truth' AND coalesce(t.test_set, 'base') = 'base' AND e.status = 'pass') AS base_passed,
                   (SELECT count(*) FROM executions e JOIN tests t ON t.id = e.test_id WHERE e.config_id = ?1 AND e.solution_id = s.id
                      AND t.kind = 'ground_truth' AND e.status = 'pass') AS all_passed,
                   (SELECT sum(e.cpu_s) FROM executions e JOIN tests t ON t.id = e.test_id WHERE e.config_id = ?1 AND e.solution_id = s.id
                      AND t.kind = 'ground_truth') AS cpu_s
            FROM solution_sources ss JOIN solutions s ON s.id = ss.solution_id JOIN problems p ON p.id = s.problem_id
            WHERE ss.model IN (\(models))
            GROUP BY p.id, ss.model, s.id
            ORDER BY p.id, ss.model, s.id
            """, configID)
        var byKey: [String: ModelProblemOutcome] = [:]
        var times: [String: [Double]] = [:]
        var order: [String] = []
        for row in rows {
            let problem = row["problem"].string!, model = row["model"].string!
            guard scope.contains(problem) else { continue }
            let key = model + "\u{0}" + problem
            let allTests = row["all_tests"].int!, baseTests = row["base_tests"].int!
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = ModelProblemOutcome(model: model, problem: problem, benchmark: ModelProblemOutcome.benchmark(of: problem),
                                                 samples: 0, correctBase: 0, correctPlus: 0, hasPlus: allTests > baseTests)
            }
            let samples = row["samples"].int!
            byKey[key]!.samples += samples
            let passesAll = row["all_passed"].int! == allTests
            if row["base_passed"].int! == baseTests { byKey[key]!.correctBase += samples }
            if passesAll {
                byKey[key]!.correctPlus += samples
                if let cpu = row["cpu_s"].double { times[key, default: []].append(cpu) }
            }
        }
        return order.map { key in
            var outcome = byKey[key]!
            if let list = times[key], !list.isEmpty { outcome.cpuSeconds = list.sorted()[list.count / 2] }
            return outcome
        }
    }

    /// Ground-truth verdicts the models' solutions in scope still need under the config.
    public func missingVerdicts(_ options: ModelEvaluationOptions, configID: Int64) throws -> Int {
        let scope = Set(try problems(options))
        let rows = try db.rows("""
            SELECT p.external_id AS problem, count(*) AS missing FROM solutions s
            JOIN problems p ON p.id = s.problem_id
            JOIN tests t ON t.problem_id = s.problem_id AND t.kind = 'ground_truth'
            WHERE \(Self.solutionCondition(models: options.models))
              AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.config_id = ? AND e.solution_id = s.id AND e.test_id = t.id)
            GROUP BY p.id
            """, configID)
        return rows.filter { scope.contains($0["problem"].string!) }.reduce(0) { $0 + $1["missing"].int! }
    }

    /// Stores one evaluation row with its parameters and results.
    public func store(_ report: ModelEvaluationReport, options: ModelEvaluationOptions, configID: Int64, runID: Int64) throws -> Int64 {
        let parameters: JSON = .object([
            ("models", JSON(options.models)), ("k", .array(options.ks.map { .int(Int64($0)) })),
            ("benchmarks", JSON(options.benchmarks)), ("config_id", .int(configID)), ("efficiency", .bool(options.efficiency)),
        ])
        try db.run("INSERT INTO model_evaluations (run_id, config_id, parameters, results) VALUES (?, ?, ?, ?)",
                   runID, configID, parameters.text, report.json.text)
        return db.lastInsertRowID
    }
}
