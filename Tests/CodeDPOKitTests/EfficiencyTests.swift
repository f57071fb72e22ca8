import XCTest

@testable import CodeDPOKit

final class EfficiencyMathTests: XCTestCase {
    func testMedianSpreadAndNoise() {
        XCTAssertEqual(EfficiencyMath.median([3, 1, 2]), 2)
        XCTAssertEqual(EfficiencyMath.median([4, 1, 2, 3]), 2.5)
        XCTAssertEqual(EfficiencyMath.spread([1, 1, 1, 1, 100]), 0, "one disturbed repetition does not move the spread")
        XCTAssertFalse(EfficiencyMath.summarize([1.0, 1.01, 0.99, 1.0, 1.02], maxNoise: 0.1).noisy)
        XCTAssertTrue(EfficiencyMath.summarize([1.0, 2.0, 0.5, 1.5, 3.0], maxNoise: 0.1).noisy)
    }

    /// A repetition in which the whole machine ran 2x slower slows every solution alike: the
    /// drift factor finds it, and dividing it out leaves each solution steady and the ratio
    /// between solutions intact.
    func testDriftOfTheMachineIsNotCountedAsNoise() {
        let base: [Double] = [1, 2, 4, 8, 16, 3]
        let machine: [Double] = [1, 1.3, 2, 0.7, 1]
        let costs: [[Double?]] = base.map { b in machine.map { b * $0 } }
        XCTAssertTrue(EfficiencyMath.summarize(costs[0].compactMap { $0 }, maxNoise: 0.1).noisy, "uncorrected: noisy")
        let factors = EfficiencyMath.drift(costs)
        XCTAssertEqual(factors, machine)
        for (b, series) in zip(base, costs) {
            let corrected = series.enumerated().map { $1! / factors[$0] }
            let summary = EfficiencyMath.summarize(corrected, maxNoise: 0.1)
            XCTAssertFalse(summary.noisy)
            XCTAssertEqual(summary.median, b, accuracy: 1e-12)
        }
        // One solution's own noise is not removed: only what all share.
        var noisy = costs
        noisy[0] = [1, 3, 1, 0.3, 2]
        XCTAssertEqual(EfficiencyMath.drift(noisy), machine)
        // Too few solutions to tell the machine from the solution: no correction; a missing
        // repetition is skipped.
        XCTAssertEqual(EfficiencyMath.drift(Array(costs.prefix(2))), [1, 1, 1, 1, 1])
        let gap = EfficiencyMath.drift(costs.map { [$0[0], nil, $0[2]] })
        XCTAssertEqual(gap.count, 3)
        XCTAssertEqual(gap[0], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(gap[1], 1)
        XCTAssertEqual(gap[2], 4.0 / 3, accuracy: 1e-12)
    }
}

/// Constructed solutions whose speed differs by a known factor, timed for real with each
/// method: every pair must be found in every one of 10 runs.
final class EfficiencyTimingTests: XCTestCase {
    /// Problems (id, function, tests) with a fast and a slow correct solution and a wrong one:
    /// O(n) vs O(n^2); builtin sum vs a Python loop (the "6x" kind); a formula vs a loop over
    /// 3,000 numbers (the "250x" kind). Inputs are small: the test stays fast under valgrind.
    static let problems: [(id: String, fast: String, slow: String, wrong: String, tests: [String])] = [
        ("D/1", "def has_duplicate(xs):\n    return len(set(xs)) != len(xs)\n",
         "def has_duplicate(xs):\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n            if xs[i] == xs[j]:\n                return True\n    return False\n",
         "def has_duplicate(xs):\n    return False\n",
         ["assert has_duplicate(list(range(150))) == False", "assert has_duplicate(list(range(150)) + [7]) == True"]),
        ("G/6", "def total(n):\n    return sum(range(n))\n",
         "def total(n):\n    s = 0\n    i = 0\n    while i < n:\n        s = s + i\n        i = i + 1\n    return s\n",
         "def total(n):\n    return n\n",
         ["assert total(2000) == 1999000"]),
        ("G/250", "def triangle(n):\n    return n * (n - 1) // 2\n",
         "def triangle(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n",
         "def triangle(n):\n    return 0\n",
         ["assert triangle(3000) == 4498500"]),
    ]

    /// A database with the problems above executed and scored; returns (db, run, score run).
    func fixture() throws -> (Database, Int64, Int64, PythonInterpreter) {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: timing test skipped") }
        let db = try migratedDatabase(self)
        let runID = try RunLog(db).start(command: "test", argv: [])
        for (p, problem) in Self.problems.enumerated() {
            try db.run("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES (?, ?, '', 'f', ?)", problem.id, "p\(p)", runID)
            let problemID = db.lastInsertRowID
            for (i, code) in [problem.fast, problem.slow, problem.wrong].enumerated() {
                try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, 1, ?)", problemID, "s\(p)-\(i)", code, runID)
            }
            for (i, test) in problem.tests.enumerated() {
                try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', ?, ?, 1, ?)", problemID, "t\(p)-\(i)", test, runID)
            }
        }
        var settings = ExecutionSettings(interpreter: python)
        settings.timeout = 5
        var execute = ExecuteOptions(settings: settings)
        execute.jobs = 1
        _ = try Executor(db: db, runID: runID, options: execute).run()
        let score = try ScoreRunner(db: db, runID: runID, configID: 1).run(PassCount())
        return (db, runID, score.scoreRunID, python)
    }

    /// Solution ids: problem p's fast one is 3p+1, its slow one 3p+2, its wrong one 3p+3.
    func checkTenRuns(_ method: EfficiencyMethod, session: (ExecutionSettings) throws -> TimingSession?) throws {
        let (db, runID, scoreRun, _) = try fixture()
        let settings = try ExecutionSettings.load(configID: 1, from: db)
        let kept = try session(settings)
        var options = EfficiencyOptions()
        options.method = method
        options.minSeconds = 0.002
        var pairsOfRun: [[[SQLValue]]] = []
        for run in 0..<10 {
            options.seed = UInt64(run)
            let report = try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options, session: kept)
            XCTAssertEqual(report.method, method == .cpuTime ? "cpu_time" : "instructions")
            XCTAssertEqual(report.trustedTests, 4)
            XCTAssertEqual(report.timedSolutions, 6, "the wrong solutions fail a trusted test and are not timed")
            XCTAssertEqual(report.failed, 0)
            var policy = PairPolicy()
            policy.correctness = false
            let pairs = try PairBuilder(db: db, runID: runID).build(name: "\(method.rawValue)-\(run)", scoreRun: scoreRun,
                                                                   efficiencyRun: report.efficiencyRunID, policy: policy)
            XCTAssertEqual(pairs.efficiencyPairs, 3, "run \(run): \(pairs.reasons)")
            let rows = try db.rows("SELECT chosen_solution_id, rejected_solution_id, margin FROM pairs WHERE pair_set_id = ? ORDER BY problem_id", pairs.pairSetID)
            XCTAssertEqual(rows.map { [$0[0], $0[1]] }, [[.integer(1), .integer(2)], [.integer(4), .integer(5)], [.integer(7), .integer(8)]], "run \(run)")
            // The G/6 pair's true gap is ~2.5x by CPU time (4.0x by instructions): 2.2-3.0 in
            // 20 runs here, 1.48 once in a CI run on a drifting machine. CPU time is held to
            // 1.25 so the test says "clearly slower" without failing on that noise.
            let clearly = method == .cpuTime ? 1.25 : 1.5
            for row in rows { XCTAssertGreaterThan(row[2].double ?? 0, clearly, "run \(run): every slow solution is clearly slower") }
            XCTAssertEqual(report.speedups.count, 3)
            XCTAssertEqual(report.speedups.optimizedShare, 1)
            pairsOfRun.append(rows.map { [$0[0], $0[1]] })
        }
        if method != .cpuTime {
            // Counts repeat: every run measured the same instructions for every solution.
            let spread = try db.rows("""
                SELECT solution_id, test_id, min(instructions), max(instructions), group_concat(instructions) FROM timings WHERE status = 'pass' GROUP BY solution_id, test_id
                """)
            XCTAssertEqual(spread.count, 8)
            for row in spread {
                let low = Double(row[2].int64 ?? 0), high = Double(row[3].int64 ?? 0)
                XCTAssertGreaterThan(low, 0)
                // The bound. Bodies that allocate in a loop (the while and for loops) moved
                // by 2.5-4% between runs while loaders were forked from one long-lived worker whose
                // heap changed with every job; each job now runs in a fork of the worker as it
                // started (harness "fresh_worker").
                XCTAssertLessThanOrEqual((high - low) / low, 0.005, "solution \(row[0]) test \(row[1]): \(low) .. \(high): \(row[4])")
            }
        }
    }

    func testEveryGapIsFoundInEveryOneOfTenRunsByCPUTime() throws {
        try checkTenRuns(.cpuTime) { _ in nil }
    }

    func testEveryGapIsFoundInEveryOneOfTenRunsByInstructions() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: timing test skipped") }
        guard let counter = InstructionCounter.available(for: python) else {
            throw XCTSkip("no instruction counter: perf_event_open is refused and valgrind is missing (apt-get install -y valgrind)")
        }
        // One worker for the ten runs: a start under valgrind costs seconds.
        try checkTenRuns(.instructions) { try TimingSession(settings: $0, counter: counter) }
    }

    /// Killed after some measurements, the same run started again finishes the same
    /// efficiency run and measures only what was missing.
    func testAnInterruptedRunResumes() throws {
        let (db, runID, scoreRun, _) = try fixture()
        var options = EfficiencyOptions()
        options.method = .cpuTime
        options.minSeconds = 0.001
        options.repeatCount = 2
        var measured = 0
        XCTAssertThrowsError(try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options, progress: { done, _ in measured = done },
                                                                            shouldStop: { measured >= 5 })) { error in
            XCTAssertTrue("\(error)".contains("the same command again finishes it"), "\(error)")
        }
        XCTAssertEqual(measured, 5)
        XCTAssertEqual(try db.int("SELECT count(DISTINCT solution_id || '/' || repetition) FROM timings"), 5)
        let firstIDs = try db.rows("SELECT id FROM timings ORDER BY id").map { $0[0] }
        var started = 0
        let report = try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options, progress: { done, _ in
            if started == 0 { started = done }
        })
        XCTAssertEqual(report.resumedMeasurements, 5)
        XCTAssertEqual(started, 6, "the resumed run starts after the five finished measurements")
        XCTAssertEqual(try db.int("SELECT count(*) FROM efficiency_runs"), 1, "the same efficiency run, finished")
        XCTAssertEqual(try db.int("SELECT count(*) FROM timings"), 2 * 8)
        XCTAssertEqual(Array(try db.rows("SELECT id FROM timings ORDER BY id").map { $0[0] }.prefix(firstIDs.count)), firstIDs, "finished measurements are kept, not repeated")
        XCTAssertEqual(report.ranked + report.noisy, 6)
        // A finished run is not resumed: the same command again makes a new run.
        let again = try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options)
        XCTAssertEqual(again.resumedMeasurements, 0)
        XCTAssertNotEqual(again.efficiencyRunID, report.efficiencyRunID)
    }

    /// An interrupted run is never continued with another counter (perf, valgrind, CPU time):
    /// the same command where another counter is available is refused, and says what to do.
    func testAResumeWithAnotherCounterIsRefused() throws {
        let (db, runID, scoreRun, _) = try fixture()
        var options = EfficiencyOptions()
        options.method = .cpuTime
        options.minSeconds = 0.001
        var measured = 0
        XCTAssertThrowsError(try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options, progress: { done, _ in measured = done },
                                                                            shouldStop: { measured >= 2 }))
        // As if the interrupted run had been counting with hardware counters on another machine.
        try db.run("UPDATE efficiency_runs SET method = 'instructions', parameters = ? WHERE id = 1",
                   EfficiencyRunner.parameters(options, counter: "perf"))
        let timings = try db.int("SELECT count(*) FROM timings")
        XCTAssertThrowsError(try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("efficiency run 1 of score run \(scoreRun) was interrupted while measuring with instructions (perf)"), text)
            XCTAssertTrue(text.contains("here the same command measures with CPU time"), text)
            XCTAssertTrue(text.contains("--seed 1"), text)
        }
        XCTAssertEqual(try db.int("SELECT count(*) FROM efficiency_runs"), 1, "no new run was started")
        XCTAssertEqual(try db.int("SELECT count(*) FROM timings"), timings, "nothing measured")
        // The way out the message names: another seed is a separate run.
        options.seed = 1
        let separate = try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options)
        XCTAssertEqual(separate.efficiencyRunID, 2)
        XCTAssertEqual(separate.resumedMeasurements, 0)
    }
}
