import Foundation

/// Scores ~N verdicts with self-validation (10 iterations, all stored) and, in the same run,
/// inserts the same number of score rows through the store's raw path into the same table.
public struct ScoreBenchmark {
    public struct Result {
        public let verdicts: Int
        public let scoreRows: Int
        public let scoreSeconds: Double
        public let rawSeconds: Double
        public var ratio: Double { scoreSeconds / rawSeconds }
    }

    public let verdicts: Int
    public let solutionsPerProblem = 30
    public let testsPerProblem = 33
    public let directory: URL

    public init(verdicts: Int = 1_000_000, directory: URL = FileManager.default.temporaryDirectory) {
        self.verdicts = verdicts
        self.directory = directory
    }

    public func run() throws -> Result {
        let path = directory.appendingPathComponent("codedpo-bench-score-\(ProcessInfo.processInfo.processIdentifier).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let (db, _) = try Workspace.initialize(path: path)
        let runID = try RunLog(db).start(command: "bench score", argv: [])
        var settings = ExecutionSettings(interpreter: PythonInterpreter(path: "/usr/bin/python3", version: "bench"))
        settings.timeout = 1
        let configID = try settings.configID(in: db, runID: runID).id
        let problems = max(1, verdicts / (solutionsPerProblem * testsPerProblem))
        var generator = SystemRandomNumberGenerator()
        try db.transaction {
            let problem = try db.prepare("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES (?, ?, 'p', ?)")
            let solution = try db.prepare("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, 'c', 1, ?)")
            let test = try db.prepare("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', ?, 't', 1, ?)")
            let execution = try db.prepare("INSERT INTO executions (config_id, solution_id, test_id, status, run_id) VALUES (?, ?, ?, ?, ?)")
            for p in 0..<problems {
                try problem.execute("B/\(p)", "p\(p)", runID)
                let problemID = db.lastInsertRowID
                var tests: [Int64] = []
                for t in 0..<testsPerProblem {
                    try test.execute(problemID, "t\(p)-\(t)", runID)
                    tests.append(db.lastInsertRowID)
                }
                for s in 0..<solutionsPerProblem {
                    try solution.execute(problemID, "s\(p)-\(s)", runID)
                    let solutionID = db.lastInsertRowID
                    let quality = Double.random(in: 0...1, using: &generator)
                    for testID in tests {
                        try execution.execute(configID, solutionID, testID, Double.random(in: 0...1, using: &generator) < quality ? "pass" : "fail", runID)
                    }
                }
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let report = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(damping: 0.85, iterations: 10))
        let scoreSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // The same number of rows, written straight into `scores` of another score run.
        try db.run("INSERT INTO score_runs (run_id, strategy, config_id) VALUES (?, 'raw', ?)", runID, configID)
        let rawRun = db.lastInsertRowID
        let ids = try db.rows("SELECT id FROM solutions ORDER BY id").compactMap { $0[0].int64 }
        let rawStart = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            let insert = try db.prepare("INSERT INTO scores (score_run_id, iteration, solution_id, value) VALUES (?, ?, ?, ?)")
            var written = 0
            var iteration: Int64 = 0
            while written < report.rows {
                for id in ids where written < report.rows {
                    try insert.bind(rawRun, at: 1)
                    try insert.bind(iteration, at: 2)
                    try insert.bind(id, at: 3)
                    try insert.bind(Double(written), at: 4)
                    try insert.step()
                    insert.reset()
                    written += 1
                }
                iteration += 1
            }
        }
        let rawSeconds = Double(DispatchTime.now().uptimeNanoseconds - rawStart) / 1e9
        let counted = try db.int("SELECT count(*) FROM executions") ?? 0
        return Result(verdicts: counted, scoreRows: report.rows, scoreSeconds: scoreSeconds, rawSeconds: rawSeconds)
    }
}
