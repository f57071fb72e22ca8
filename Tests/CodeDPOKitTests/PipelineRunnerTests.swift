import XCTest

@testable import CodeDPOKit

/// The pipeline runner (`run --config`) as a library: typed requests from a config's flags,
/// reuse of finished steps, re-running what a changed parameter reaches, and resuming a step
/// that was killed.
final class PipelineRunnerTests: XCTestCase {
    var folder: URL!
    var python: PythonInterpreter!

    override func setUpWithError() throws {
        guard let interpreter = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: pipeline runner test skipped") }
        python = interpreter
        folder = URL(fileURLWithPath: temporaryDatabasePath(self)).deletingLastPathComponent()
        var problems: [String] = [], solutions: [String] = [], tests: [String] = []
        for p in 0..<2 {
            let prompt = "def f(x):\\n    \\\"\\\"\\\"x times \(p + 2).\\\"\\\"\\\"\\n"
            problems.append(#"{"id": "P/\#(p)", "prompt": "\#(prompt)", "entry_point": "f"}"#)
            solutions.append(#"{"problem": "P/\#(p)", "code": "\#(prompt)    return x * \#(p + 2)\n", "count": 2}"#)
            solutions.append(#"{"problem": "P/\#(p)", "code": "\#(prompt)    return x + \#(p + 2)\n"}"#)
            for x in [1, 3] { tests.append(#"{"problem": "P/\#(p)", "code": "assert f(\#(x)) == \#(x * (p + 2))"}"#) }
        }
        for (name, lines) in [("p.jsonl", problems), ("s.jsonl", solutions), ("t.jsonl", tests)] {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent(name))
        }
    }

    func config(damping: Double, extraExecute: String = "") throws -> PipelineConfig {
        let text = """
            {
              "db": "work.db",
              "import": [{"kind": "problems", "files": ["p.jsonl"]}, {"kind": "solutions", "files": ["s.jsonl"]}, {"kind": "tests", "files": ["t.jsonl"]}],
              "execute": {"python": "\(python.path)", "jobs": 1, "quiet": true\(extraExecute)},
              "score": [{"strategy": "self-validation", "damping": \(damping), "name": "sv"}],
              "pairs": {"name": "v1", "score": "sv"},
              "export": [{"format": "trl", "out": "out/v1.jsonl"}]
            }
            """
        let path = folder.appendingPathComponent("pipeline.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try PipelineConfig.load(path: path)
    }

    var database: String { folder.appendingPathComponent("work.db").path }

    func run(_ config: PipelineConfig) async throws -> [String] {
        if !FileManager.default.fileExists(atPath: database) { try Workspace.initialize(path: database) }
        let runner = PipelineRunner(config: config, database: database)
        try runner.validate()
        return try await runner.run().map(\.status)
    }

    func count(_ sql: String) throws -> Int {
        try Workspace.openForReading(path: database).int(sql) ?? -1
    }

    func testTheSameRequestIsReusedAndAChangedParameterReRunsWhatItReaches() async throws {
        let first = try await run(try config(damping: 0.85))
        XCTAssertEqual(first, Array(repeating: "ran", count: 7))
        XCTAssertEqual(try count("SELECT count(*) FROM executions"), 8)
        XCTAssertEqual(try count("SELECT count(*) FROM exports"), 1)

        // The same config again: score, pairs and export are found done, nothing is added.
        let again = try await run(try config(damping: 0.85))
        XCTAssertEqual(Array(again.suffix(3)), ["up to date", "up to date", "up to date"])
        XCTAssertEqual(try count("SELECT count(*) FROM score_runs"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM pair_sets"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM exports"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM runs WHERE command = 'execute'"), 2, "execute runs again but finds nothing to do")
        XCTAssertEqual(try count("SELECT count(*) FROM executions"), 8)

        // Another damping: a new score run, a new pair set (the name is taken), a new export;
        // no verdict is executed again.
        let changed = try await run(try config(damping: 0.5))
        XCTAssertEqual(Array(changed.suffix(3)), ["ran", "ran", "ran"])
        XCTAssertEqual(try count("SELECT count(*) FROM score_runs"), 2)
        XCTAssertEqual(try count("SELECT count(*) FROM score_runs WHERE json_extract(parameters, '$.damping') = 0.5"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM pair_sets WHERE name = 'v1-2'"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM executions"), 8)
        // Each step is recorded as the stand-alone command it stands for.
        let argv = try Workspace.openForReading(path: database).rows("SELECT argv FROM runs WHERE command = 'pairs' ORDER BY id DESC LIMIT 1")[0][0].string ?? ""
        XCTAssertTrue(argv.contains("\"--name\",\"v1-2\""), argv)
    }

    func testAKilledStepIsResumedAndWhatDependsOnItRunsAgain() async throws {
        _ = try await run(try config(damping: 0.85))
        // As if execute had been killed half way: half of the verdicts are missing and its
        // run never finished.
        let db = try Workspace.openForWriting(path: database)
        try db.run("DELETE FROM executions WHERE solution_id IN (SELECT id FROM solutions WHERE problem_id = (SELECT id FROM problems WHERE external_id = 'P/1'))")
        try db.run("UPDATE runs SET status = 'interrupted' WHERE id = (SELECT max(id) FROM runs WHERE command = 'execute')")
        let executeRuns = try count("SELECT count(*) FROM runs WHERE command = 'execute'")

        let resumed = try await run(try config(damping: 0.85))
        XCTAssertEqual(try count("SELECT count(*) FROM executions"), 8, "the missing verdicts are run, no others")
        XCTAssertEqual(try count("SELECT count(*) FROM executions WHERE run_id = (SELECT max(id) FROM runs WHERE command = 'execute')"), 4)
        XCTAssertEqual(try count("SELECT count(*) FROM runs WHERE command = 'execute'"), executeRuns + 1)
        // New verdicts make the old score run stale: it is scored again.
        XCTAssertEqual(resumed[4], "ran")
        XCTAssertEqual(try count("SELECT count(*) FROM score_runs"), 2)
    }

    func testARemovedExportFileIsWrittenAgain() async throws {
        _ = try await run(try config(damping: 0.85))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("out/v1.jsonl"))
        let again = try await run(try config(damping: 0.85))
        XCTAssertEqual(again.last, "ran")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/v1.jsonl").path))
    }

    func testRequestsAreBuiltFromTheFlagsAndTyposAreFoundBeforeAnythingRuns() throws {
        let step = try config(damping: 0.5).steps.first { $0.stage == .score }!
        let score = try ScoreRequest(flags: StepFlags(location: step.location, fields: step.flags.map { ($0.key, $0.value) }))
        XCTAssertEqual(score.damping, "0.5")
        XCTAssertEqual(try score.strategies().map(\.name), ["self-validation"])

        // The old flag names still work: `config` for `execution-config`, `scale` for `min-seconds`.
        let legacy = try ScoreRequest(flags: StepFlags(location: "score", fields: [("strategy", "codet"), ("config", .int(3))]))
        XCTAssertEqual(legacy.executionConfig, 3)
        let efficiency = try EfficiencyRequest(scoreRun: 1, flags: StepFlags(location: "efficiency", fields: [("scale", .double(0.5))]))
        XCTAssertEqual(efficiency.minSeconds, 0.5)

        let typo = try config(damping: 0.85, extraExecute: #", "jbos": 2"#)
        XCTAssertThrowsMessage(try PipelineRunner(config: typo, database: database).validate(), contains: ["execute: unknown flag \"jbos\"", "codedpo execute --help"])
        XCTAssertThrowsMessage(try ScoreRequest(flags: StepFlags(location: "score", fields: [("strategy", "codet"), ("damping", .double(2))])).strategies(),
                               contains: ["--damping takes numbers in (0, 1]"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "validation runs nothing")
    }
}
