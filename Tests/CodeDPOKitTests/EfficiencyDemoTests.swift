import XCTest

@testable import CodeDPOKit

/// Two instruction-count runs of the demo's dataset give identical efficiency pairs. The whole
/// demo (71 timed solutions) takes about a minute of CPU per run under valgrind, so this runs
/// five of its problems, chosen to be the hard cases: the closest pair of the demo
/// (group_anagrams, 1.1x), the two that are 1.4x apart (is_palindrome) or hold the bodies whose
/// counts moved most between two runs (rotate_list, ~5,000 instructions), one the demo makes no
/// pair for (merge_intervals), and a slow correct solution 170x off (second_largest).
final class EfficiencyDemoTests: XCTestCase {
    static let problems = ["demo/group_anagrams", "demo/is_palindrome", "demo/rotate_list", "demo/merge_intervals", "demo/second_largest"]

    func testTwoInstructionRunsOfTheDemoGiveIdenticalPairs() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: timing test skipped") }
        guard let counter = InstructionCounter.available(for: python) else {
            throw XCTSkip("no instruction counter: perf_event_open is refused and valgrind is missing (apt-get install -y valgrind)")
        }
        let db = try migratedDatabase(self)
        let demo = projectRoot.appendingPathComponent("Sources/CodeDPOKit/Demo").path
        for (kind, file) in [(ImportKind.problems, "demo_problems.jsonl"), (.solutions, "demo_solutions.jsonl"), (.tests, "demo_tests.jsonl")] {
            _ = try ImportRequest(kind: kind, files: ["\(demo)/\(file)"]).run(db: db, argv: ["test"])
        }
        let runID = try RunLog(db).start(command: "test", argv: [])
        var settings = ExecutionSettings(interpreter: python)
        settings.timeout = 0.5   // as the demo's pipeline
        var execute = ExecuteOptions(settings: settings)
        execute.problems = Self.problems
        execute.jobs = 2
        _ = try Executor(db: db, runID: runID, options: execute).run()
        let scoreRun = try ScoreRunner(db: db, runID: runID, configID: 1).run(SelfValidation()).scoreRunID

        var options = EfficiencyOptions()
        options.method = .instructions
        options.problems = Self.problems
        // One worker for both runs (a start under valgrind costs seconds); each job still runs
        // in a fork of the worker as it started, so the second run sees what the first saw.
        let session = try TimingSession(settings: try ExecutionSettings.load(configID: 1, from: db), counter: counter)
        var pairsOfRun: [[[SQLValue]]] = []
        for run in 0..<2 {
            options.seed = UInt64(run)   // another order of the solutions: it must not matter
            let report = try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options, session: session)
            XCTAssertEqual(report.method, "instructions")
            XCTAssertEqual(report.problems, 5)
            XCTAssertEqual(report.failed, 0)
            var policy = PairPolicy()
            policy.correctness = false
            let pairs = try PairBuilder(db: db, runID: runID).build(name: "demo-\(run)", scoreRun: scoreRun, efficiencyRun: report.efficiencyRunID, policy: policy)
            pairsOfRun.append(try db.rows("""
                SELECT problem_id, chosen_solution_id, rejected_solution_id FROM pairs WHERE pair_set_id = ? ORDER BY problem_id
                """, pairs.pairSetID).map { [$0[0], $0[1], $0[2]] })
            // The slow correct solution loses its problem's pair.
            XCTAssertEqual(try db.rows("""
                SELECT json_extract(ss.metadata, '$.role') FROM pairs x JOIN problems p ON p.id = x.problem_id
                JOIN solution_sources ss ON ss.solution_id = x.rejected_solution_id
                WHERE x.pair_set_id = ? AND p.external_id = 'demo/second_largest'
                """, pairs.pairSetID).first?[0].string, "correct-slow", "run \(run)")
        }
        XCTAssertGreaterThanOrEqual(pairsOfRun[0].count, 3, "\(pairsOfRun[0])")
        XCTAssertEqual(pairsOfRun[0], pairsOfRun[1], "the two runs' efficiency pairs")
    }
}
