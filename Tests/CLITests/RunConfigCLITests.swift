import CodeDPOKit
import Foundation
import XCTest

/// `codedpo run --config`: the pipeline from one file; running it again repeats nothing;
/// changing only scoring parameters re-scores (and re-pairs, re-exports) without executing.
final class RunConfigCLITests: XCTestCase {
    var folder: URL!
    var python = ""

    override func setUpWithError() throws {
        guard let interpreter = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: pipeline config test skipped") }
        python = interpreter.path
        folder = temporaryFolder(self)
        var problems: [JSON] = [], solutions: [JSON] = [], tests: [JSON] = []
        for p in 0..<3 {
            let id = "R/\(p)", k = p + 2
            let prompt = "def f(xs):\n    \"\"\"Sum of xs times \(k).\"\"\"\n"
            problems.append(["id": .string(id), "prompt": .string(prompt), "entry_point": "f"])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    return sum(xs) * \(k)\n"), "count": 2])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    return sum(xs[1:]) * \(k)\n")])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    return xs[0] * \(k)\n")])
            for xs in ["[1, 2, 3]", "[5]", "[4, 4]"] {
                tests.append(["problem": .string(id), "code": .string("assert f(\(xs)) == sum(\(xs)) * \(k)")])
            }
        }
        for (name, lines) in [("p.jsonl", problems), ("s.jsonl", solutions), ("t.jsonl", tests)] {
            _ = writeJSONL(lines, in: folder, name: name)
        }
    }

    func writeConfig(damping: Double) throws -> String {
        let config = """
            {
              "db": "work.db",
              "import": [
                {"kind": "problems", "files": ["p.jsonl"]},
                {"kind": "solutions", "files": ["s.jsonl"]},
                {"kind": "tests", "files": ["t.jsonl"]}
              ],
              "execute": {"python": "\(python)", "jobs": 2, "quiet": true},
              "score": [{"strategy": "self-validation", "damping": \(damping), "name": "sv"}, {"strategy": "pass-count"}],
              "pairs": {"name": "v1", "score": "sv"},
              "export": [{"format": "trl", "out": "out/v1.jsonl"}, {"format": "kto", "out": "out/v1-kto.jsonl", "balance": true}]
            }
            """
        let path = folder.appendingPathComponent("pipeline.json").path
        try Data(config.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    var db: String { folder.appendingPathComponent("work.db").path }

    func query(_ sql: String) throws -> String {
        let result = try CLI.run(["query", sql, "--format", "csv", "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    /// Runs from another folder, so relative paths must resolve against the config's folder.
    func runConfig(_ path: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["run", "--config", path] + extra, directory: FileManager.default.temporaryDirectory)
    }

    func testRunsEveryStageThenResumesAndReScoresWithoutExecuting() throws {
        let config = try writeConfig(damping: 0.85)
        let first = try runConfig(config, ["--format", "json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let steps = try JSON.parse(first.stdout).arrayValue ?? []
        XCTAssertEqual(steps.count, 9, first.stdout)
        XCTAssertEqual(steps.compactMap { $0["status"]?.stringValue }, Array(repeating: "ran", count: 9))
        XCTAssertEqual(try query("SELECT count(*) AS n FROM executions"), "n\r\n27\r\n")
        XCTAssertEqual(try query("SELECT name, (SELECT count(*) FROM pairs WHERE pair_set_id = ps.id) AS pairs FROM pair_sets ps"), "name,pairs\r\nv1,3\r\n")
        XCTAssertEqual(try query("SELECT format, count FROM exports ORDER BY id"), "format,count\r\ntrl,3\r\nkto,6\r\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/v1.jsonl").path))
        // Each stage is recorded as the stand-alone command it stands for.
        XCTAssertTrue(try query("SELECT argv FROM runs WHERE command = 'execute'").contains("--python"))

        // Again: nothing is executed, scored, paired or exported twice.
        let second = try runConfig(config, ["--format", "json"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let statuses = (try JSON.parse(second.stdout).arrayValue ?? []).compactMap { $0["status"]?.stringValue }
        XCTAssertEqual(Array(statuses.suffix(5)), Array(repeating: "up to date", count: 5), second.stdout)
        XCTAssertEqual(try query("SELECT count(*) AS n FROM score_runs"), "n\r\n2\r\n")
        XCTAssertEqual(try query("SELECT count(*) AS n FROM exports"), "n\r\n2\r\n")
        XCTAssertEqual(try query("SELECT count(*) AS n FROM executions"), "n\r\n27\r\n")

        // Another damping: a new self-validation score run, new pairs under a new name, new
        // exports; the verdicts are the same rows, none run again.
        let verdictRuns = try query("SELECT group_concat(DISTINCT run_id) FROM executions")
        _ = try writeConfig(damping: 0.5)
        let third = try runConfig(config)
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(try query("SELECT strategy, json_extract(parameters, '$.damping') AS d FROM score_runs ORDER BY id"),
                       "strategy,d\r\nself-validation,0.85\r\npass-count,\r\nself-validation,0.5\r\n")
        XCTAssertEqual(try query("SELECT group_concat(DISTINCT run_id) FROM executions"), verdictRuns)
        XCTAssertEqual(try query("SELECT count(*) AS n FROM executions"), "n\r\n27\r\n")
        XCTAssertEqual(try query("SELECT name, score_run_id FROM pair_sets ORDER BY id"), "name,score_run_id\r\nv1,1\r\nv1-2,3\r\n")
        XCTAssertTrue(third.stderr.contains("pair set \"v1\" exists and was built from other inputs"), third.stderr)
        XCTAssertEqual(try query("SELECT count(*) AS n FROM exports"), "n\r\n4\r\n")
    }

    func testMistakesAreFoundBeforeAnythingRuns() throws {
        func check(_ config: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let path = folder.appendingPathComponent("bad.json").path
            try Data(config.utf8).write(to: URL(fileURLWithPath: path))
            let result = try runConfig(path)
            XCTAssertNotEqual(result.status, 0, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(expected), "expected \(expected) in: \(result.stderr)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad.db").path), "nothing may run", file: file, line: line)
        }
        try check(#"{"db": "bad.db", "exectue": {}}"#, "unknown key \"exectue\"")
        try check(#"{"db": "bad.db", "import": [{"kind": "problems", "files": ["p.jsonl"]}], "execute": {"timeout": 1, "jbos": 2}}"#, "execute: ")
        try check(#"{"db": "bad.db", "score": [{"strategy": "codet"}], "pairs": {"name": "x", "score": "self-validation"}}"#, "no score step is named or scores with \"self-validation\"")
        try check(#"{"db": "bad.db", "score": [{"strategy": "codet"}], "pairs": {"name": "x", "score": "codet", "score-run": 3}}"#, "filled in by the pipeline")
        try check(#"{"db": "bad.db", "import": [{"kind": "problems", "files": ["p.jsonl"]},"#, "is not valid JSON")
    }
}
