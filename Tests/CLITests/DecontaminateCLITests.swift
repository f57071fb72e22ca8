import CodeDPOKit
import Foundation
import XCTest

/// decontaminate -> pairs -> export through the binary: a problem that copies a benchmark
/// is flagged, shown, and left out of pairs and exports unless --allow-contaminated.
final class DecontaminateCLITests: XCTestCase {
    static let benchmarkPrompt = """
        def below_zero(operations):
            \"\"\" You're given a list of deposit and withdrawal operations on a bank account that starts with
            zero balance. Your task is to detect if at any point the balance of account falls below zero, and
            at that point function should return True. Otherwise it should return False.
            \"\"\"

        """

    func testContaminatedProblemIsLeftOutOfPairsAndExports() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: decontamination pipeline test skipped") }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("d.db").path
        func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
            try CLI.succeed(arguments, db: db, file: file, line: line)
        }
        func write(_ name: String, _ lines: [JSON]) -> String { writeJSONL(lines, in: folder, name: name) }
        let benchmark = write("bench.jsonl", [
            ["task_id": "HumanEval/3", "prompt": .string(Self.benchmarkPrompt), "entry_point": "below_zero",
             "canonical_solution": "    balance = 0\n    for op in operations:\n        balance += op\n        if balance < 0:\n            return True\n    return False\n"],
        ])
        var problems: [JSON] = [], solutions: [JSON] = [], tests: [JSON] = []
        for p in 0..<3 {
            // S/0 copies the benchmark's docstring (re-indented and re-wrapped: still a match).
            let prompt = p == 0
                ? Self.benchmarkPrompt.replacingOccurrences(of: "below_zero", with: "scale").replacingOccurrences(of: "\n    ", with: "\n  ")
                    .replacingOccurrences(of: "(operations):", with: "(x):")
                : "def scale(x):\n    \"\"\"Return x times \(p + 2).\"\"\"\n"
            problems.append(["id": .string("S/\(p)"), "prompt": .string(prompt), "entry_point": "scale"])
            let indent = p == 0 ? "  " : "    "
            solutions.append(["problem": .string("S/\(p)"), "code": .string(prompt + indent + "return x * \(p + 2)\n"), "count": 2])
            solutions.append(["problem": .string("S/\(p)"), "code": .string(prompt + indent + "return x * \(p + 2) + 1\n")])
            for x in 1...3 { tests.append(["problem": .string("S/\(p)"), "code": .string("assert scale(\(x)) == \(x * (p + 2))")]) }
        }
        _ = try run(["init"])
        _ = try run(["import", "problems", write("p.jsonl", problems)])
        _ = try run(["import", "solutions", write("s.jsonl", solutions)])
        _ = try run(["import", "tests", write("t.jsonl", tests)])

        let checked = try run(["decontaminate", "--benchmark", "HE=" + benchmark, "--format", "json"])
        let report = try JSON.parse(checked.stdout)
        XCTAssertEqual(report["contaminated_problems"], .int(1), checked.stdout)
        let shown = report["matches_shown"]?.arrayValue ?? []
        XCTAssertEqual(Set(shown.compactMap { $0["problem"]?.stringValue }), ["S/0"], checked.stdout)
        XCTAssertTrue(shown.contains { $0["match"] == "substring" && $0["benchmark"] == "HE" && $0["benchmark_item"] == "HumanEval/3" }, checked.stdout)
        XCTAssertTrue(shown.contains { $0["match"] == "ngram" }, checked.stdout)

        _ = try run(["execute", "--quiet", "--python", python.path])
        _ = try run(["score", "--strategy", "consensus"])
        let pairs = try JSON.parse(try run(["pairs", "--score-run", "1", "--name", "clean", "--format", "json"]).stdout)
        XCTAssertEqual(pairs["summary"]?["correctness_pairs"], .int(2))
        XCTAssertEqual(pairs["summary"]?["no_pair"]?["contaminated"], .int(1))
        _ = try run(["pairs", "--score-run", "1", "--name", "all", "--allow-contaminated"])

        let out = folder.appendingPathComponent("out")
        _ = try run(["export", "--pair-set", "all", "--format", "trl", "--out", out.appendingPathComponent("a.jsonl").path])
        _ = try run(["export", "--pair-set", "all", "--format", "trl", "--out", out.appendingPathComponent("b.jsonl").path, "--allow-contaminated"])
        let counts = try run(["query", "SELECT count FROM exports ORDER BY id", "--format", "csv"])
        XCTAssertEqual(counts.stdout, "count\r\n2\r\n3\r\n")
        let manifest = try JSON.parse(try String(contentsOf: out.appendingPathComponent("a.manifest.json"), encoding: .utf8))
        XCTAssertEqual(manifest["decontamination"]?["contaminated_problems_removed"], .int(1))
        let kept = try JSON.parse(try String(contentsOf: out.appendingPathComponent("b.manifest.json"), encoding: .utf8))
        XCTAssertEqual(kept["decontamination"]?["contaminated_problems_kept"], .int(1))
    }

    func testMalformedBenchmarkLineStoresNothing() throws {
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("d.db").path
        _ = try CLI.succeed(["init"], db: db)
        let path = folder.appendingPathComponent("bench.jsonl").path
        try Data("{\"task_id\": \"B/0\", \"prompt\": \"def f():\\n    pass\\n\"}\n{\"task_id\": \"B/1\", \"prompt\": \n".utf8)
            .write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["decontaminate", "--benchmark", path, "--db", db])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("bench.jsonl:2: invalid JSON"), result.stderr)
        let missing = try CLI.run(["decontaminate", "--benchmark", folder.appendingPathComponent("none.jsonl").path, "--db", db])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
        let stored = try CLI.succeed(["query", "SELECT (SELECT count(*) FROM benchmarks) + (SELECT count(*) FROM decontamination_runs) + (SELECT count(*) FROM contamination_matches) AS n", "--format", "csv"], db: db)
        XCTAssertEqual(stored.stdout, "n\r\n0\r\n")
    }
}
