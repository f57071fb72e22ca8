import CodeDPOKit
import Foundation
import XCTest

/// HumanEval+ beside HumanEval in one database (--id-prefix), its base_input and plus_input
/// as ground-truth tests whose expected values come from the canonical solution (--plus-tests):
/// counts against the dataset's own, the canonical solutions pass them all, and `eval models`
/// reports the base and plus test sets apart.
final class EvalPlusCLITests: XCTestCase {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")

    func testPlusTestsFromCanonicalOutputs() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: plus tests skipped") }
        guard FileManager.default.fileExists(atPath: Self.data.path) else { throw XCTSkip("../shared/data is absent: plus tests skipped") }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("plus.db").path
        // The first three HumanEval+ problems (HumanEval/2 has atol 1e-6) keep the test fast.
        let lines = try gunzipLines(Self.data.appendingPathComponent("evalplus/HumanEvalPlus.jsonl.gz").path, count: 3)
        let subset = folder.appendingPathComponent("hep3.jsonl")
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: subset)
        let records = try lines.map { try JSON.parse($0) }

        _ = try CLI.succeed(["init"], db: db)
        _ = try CLI.succeed(["import", "problems", Self.data.appendingPathComponent("humaneval/HumanEval.jsonl.gz").path, "--format", "humaneval"], db: db)
        _ = try CLI.succeed(["import", "problems", subset.path, "--format", "humaneval", "--id-prefix", "Plus/", "--plus-tests", "--python", python.path], db: db)
        _ = try CLI.succeed(["import", "solutions", subset.path, "--format", "humaneval", "--id-prefix", "Plus/"], db: db)
        let both = try CLI.succeed(["query", "SELECT count(*) AS n FROM problems WHERE external_id IN ('HumanEval/0', 'Plus/HumanEval/0')", "--format", "csv"], db: db)
        XCTAssertEqual(both.stdout, "n\r\n2\r\n")

        // One provenance record per input, with its test set: the dataset's own numbers.
        let counts = try CLI.succeed(["query", """
            SELECT p.external_id AS problem, json_extract(ts.metadata, '$.test_set') AS test_set, count(*) AS inputs,
                   count(DISTINCT json_extract(ts.metadata, '$.execution_config')) AS configs
            FROM test_sources ts JOIN tests t ON t.id = ts.test_id JOIN problems p ON p.id = t.problem_id
            WHERE json_extract(ts.metadata, '$.expected_from') = 'canonical_solution'
            GROUP BY 1, 2 ORDER BY 1, 2
            """, "--format", "json"], db: db)
        let rows = try JSON.parse(counts.stdout).arrayValue ?? []
        var expected: [String] = []
        for record in records {
            let id = "Plus/" + record["task_id"]!.stringValue!
            expected.append("\(id) base \(record["base_input"]!.arrayValue!.count) 1")
            expected.append("\(id) plus \(record["plus_input"]!.arrayValue!.count) 1")
        }
        XCTAssertEqual(rows.map { "\($0["problem"]!.stringValue!) \($0["test_set"]!.stringValue!) \($0["inputs"]!.intValue!) \($0["configs"]!.intValue!)" }, expected)
        let labels = try CLI.succeed(["query", "SELECT count(*) AS n FROM tests t JOIN problems p ON p.id = t.problem_id WHERE p.external_id LIKE 'Plus/%' AND t.test_set IS NULL", "--format", "csv"], db: db)
        XCTAssertEqual(labels.stdout, "n\r\n0\r\n", "every HumanEval+ test has a test set")

        // A solution within atol of the canonical one passes; a wrong one does not.
        let solutions = writeJSONL([
            ["problem": "HumanEval/2", "model": "close", "code": "def truncate_number(number: float) -> float:\n    return number % 1.0 + 1e-9\n"],
            ["problem": "HumanEval/2", "model": "wrong", "code": "def truncate_number(number: float) -> float:\n    return round(number % 1.0, 1)\n"],
        ], in: folder, name: "s.jsonl")
        _ = try CLI.succeed(["import", "solutions", solutions, "--id-prefix", "Plus/"], db: db)
        let result = try CLI.succeed(["eval", "models", "--model", "canonical", "--model", "close", "--model", "wrong", "--benchmark", "Plus/HumanEval",
                                      "--python", python.path, "--format", "json"], db: db)
        let scores = try JSON.parse(result.stdout)["scores"]?.arrayValue ?? []
        let table = Dictionary(uniqueKeysWithValues: scores.map { ("\($0["model"]!.stringValue!) \($0["test_set"]!.stringValue!)", $0["pass_at_k"]!["1"]!.doubleValue!) })
        XCTAssertEqual(table["canonical base"], 1, result.stdout)
        XCTAssertEqual(table["canonical plus"], 1, result.stdout)
        XCTAssertEqual(table["close plus"], 1, result.stdout)
        XCTAssertEqual(table["wrong plus"], 0, result.stdout)
    }

    func gunzipLines(_ path: String, count: Int) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc \"$0\" | head -n \(count)", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
