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

/// Constructed solutions whose speed differs by a known factor, timed for real.
final class EfficiencyTimingTests: XCTestCase {
    func testLinearBeatsQuadraticInEveryOneOfTenRuns() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: timing test skipped") }
        let db = try migratedDatabase(self)
        let runID = try RunLog(db).start(command: "test", argv: [])
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES ('D/1', 'd', 'def has_duplicate(xs):\n', 'has_duplicate', ?)", runID)
        let linear = "def has_duplicate(xs):\n    return len(set(xs)) != len(xs)\n"
        let quadratic = "def has_duplicate(xs):\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n            if xs[i] == xs[j]:\n                return True\n    return False\n"
        let wrong = "def has_duplicate(xs):\n    return False\n"
        for (i, code) in [linear, quadratic, wrong].enumerated() {
            try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (1, ?, ?, 1, ?)", "s\(i)", code, runID)
        }
        for (i, test) in ["assert has_duplicate(list(range(300))) == False", "assert has_duplicate(list(range(300)) + [7]) == True"].enumerated() {
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (1, 'generated', ?, ?, 1, ?)", "t\(i)", test, runID)
        }
        var settings = ExecutionSettings(interpreter: python)
        settings.timeout = 5
        var execute = ExecuteOptions(settings: settings)
        execute.jobs = 1
        _ = try Executor(db: db, runID: runID, options: execute).run()
        let score = try ScoreRunner(db: db, runID: runID, configID: 1).run(PassCount())
        var options = EfficiencyOptions()
        options.repeatCount = 3
        options.minSeconds = 0.005
        // This test is about the order of clearly different solutions on a shared machine,
        // not about the noise flag (unit-tested above): a busy moment must not hide the order.
        options.maxNoise = 1.0
        for run in 0..<10 {
            options.seed = UInt64(run)
            let report = try EfficiencyRunner(db: db, runID: runID).run(scoreRun: score.scoreRunID, options: options)
            XCTAssertEqual(report.trustedTests, 2)
            XCTAssertEqual(report.timedSolutions, 2, "the wrong solution fails a trusted test and is not timed")
            let medians = try db.rows("SELECT solution_id, median FROM efficiency_results WHERE efficiency_run_id = ? ORDER BY solution_id", report.efficiencyRunID)
            XCTAssertEqual(medians.map { $0[0].int64 }, [1, 2])
            XCTAssertLessThan(medians[0][1].double ?? .infinity, (medians[1][1].double ?? 0) / 3, "run \(run): the O(n) solution must be far faster")
            let ranks = try db.rows("SELECT solution_id, rank FROM efficiency_results WHERE efficiency_run_id = ? AND rank IS NOT NULL ORDER BY solution_id", report.efficiencyRunID).map(\.values)
            if ranks.count == 2 { XCTAssertEqual(ranks, [[.integer(1), .integer(1)], [.integer(2), .integer(2)]], "run \(run)") }
            XCTAssertEqual(try db.int("SELECT count(*) FROM timings WHERE efficiency_run_id = ?", report.efficiencyRunID), 2 * 2 * 3)
            // The O(n) body takes microseconds (the O(n^2) one may take the whole --scale at once).
            XCTAssertGreaterThan(try db.int("SELECT min(loops) FROM timings WHERE efficiency_run_id = ? AND solution_id = 1", report.efficiencyRunID) ?? 0, 1,
                                 "tiny tests are repeated until measurable")
        }
        var policy = PairPolicy()
        policy.correctness = false
        let pairs = try PairBuilder(db: db, runID: runID).build(name: "fast", scoreRun: score.scoreRunID, efficiencyRun: 10, policy: policy)
        XCTAssertEqual(pairs.efficiencyPairs, 1)
        XCTAssertEqual(try db.rows("SELECT chosen_solution_id, rejected_solution_id FROM pairs WHERE kind = 'efficiency'").map(\.values), [[.integer(1), .integer(2)]])
        XCTAssertGreaterThan(try db.scalar("SELECT margin FROM pairs WHERE kind = 'efficiency'")?.double ?? 0, 2, "set() is several times faster than the double loop")
    }
}
