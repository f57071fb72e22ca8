import CodeDPOKit
import Foundation
import XCTest

/// `eval models`: pass@1 on AgentCoder's GPT-3.5 completions against an independent script
/// that runs HumanEval's own check per completion; bad input stores nothing; the fake
/// endpoint supplies missing samples.
final class EvalModelsCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testPassAt1MatchesAnIndependentComputation() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: pass@1 check skipped") }
        let data = Self.root.deletingLastPathComponent().appendingPathComponent("shared/data")
        guard FileManager.default.fileExists(atPath: data.path) else { throw XCTSkip("../shared/data is absent: pass@1 check skipped") }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("m.db").path
        // The first 30 problems keep the test fast.
        let all = try JSON.parse(String(contentsOf: data.appendingPathComponent("agentcoder/gpt-3.5-turbo-1106.json"), encoding: .utf8))
        let subset = folder.appendingPathComponent("agentcoder30.json")
        try Data(JSON.array(Array(all.arrayValue!.prefix(30))).text.utf8).write(to: subset)
        _ = try CLI.succeed(["init"], db: db)
        _ = try CLI.succeed(["import", "problems", subset.path, "--format", "agentcoder"], db: db)
        _ = try CLI.succeed(["import", "solutions", subset.path, "--format", "agentcoder"], db: db)
        let result = try CLI.succeed(["eval", "models", "--model", "gpt-3.5-turbo-1106", "--k", "1", "--timeout", "10", "--python", python.path, "--format", "json"], db: db)
        let ours = try JSON.parse(result.stdout)["scores"]?.arrayValue?.first
        XCTAssertEqual(ours?["problems"], .int(30), result.stdout)

        let reference = Self.root.appendingPathComponent("Tests/Reference/humaneval_pass_at_1.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.path)
        process.arguments = [reference, subset.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let independent = try JSON.parse(String(decoding: output, as: UTF8.self))
        let expected = try XCTUnwrap(independent["pass_at_1"]?.doubleValue)
        let measured = try XCTUnwrap(ours?["pass_at_k"]?["1"]?.doubleValue)
        XCTAssertEqual(measured, expected, accuracy: 1e-9, "codedpo \(measured), independent \(expected): \(independent["correct"]?.text ?? "")")
        XCTAssertGreaterThan(expected, 0.3)
    }

    func testBadInputIsRefusedAndNothingStored() throws {
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("m.db").path
        _ = try CLI.succeed(["init"], db: db)
        let problems = writeJSONL([["id": "B/0", "prompt": "def f():\n", "entry_point": "f"]], in: folder, name: "p.jsonl")
        let tests = writeJSONL([["problem": "B/0", "code": "assert f() == 1", "kind": "ground_truth"]], in: folder, name: "t.jsonl")
        let solutions = writeJSONL([["problem": "B/0", "code": "def f():\n    return 1\n", "model": "m", "count": 2]], in: folder, name: "s.jsonl")
        for (kind, file) in [("problems", problems), ("tests", tests), ("solutions", solutions)] {
            _ = try CLI.succeed(["import", kind, file], db: db)
        }
        let unknown = try CLI.run(["eval", "models", "--model", "nobody", "--db", db])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no solutions from model \"nobody\" (models with solutions: m)"), unknown.stderr)
        let tooMany = try CLI.run(["eval", "models", "--model", "m", "--k", "1,3", "--db", db])
        XCTAssertEqual(tooMany.status, 1)
        XCTAssertTrue(tooMany.stderr.contains("pass@3 needs at least 3 samples per problem, but model \"m\" has 2 for B/0"), tooMany.stderr)
        let badBenchmark = try CLI.run(["eval", "models", "--model", "m", "--benchmark", "MBPP", "--db", db])
        XCTAssertEqual(badBenchmark.status, 1)
        XCTAssertTrue(badBenchmark.stderr.contains("no benchmark \"MBPP\""), badBenchmark.stderr)
        let stored = try CLI.succeed(["query", "SELECT (SELECT count(*) FROM model_evaluations) + (SELECT count(*) FROM executions) AS n", "--format", "csv"], db: db)
        XCTAssertEqual(stored.stdout, "n\r\n0\r\n")
        // And the good case: 2 samples, both correct.
        let good = try CLI.succeed(["eval", "models", "--model", "m", "--k", "1,2", "--format", "json"], db: db)
        let score = try JSON.parse(good.stdout)["scores"]?.arrayValue?.first
        XCTAssertEqual(score?["pass_at_k"]?["2"], .double(1))
        XCTAssertEqual(score?["samples"], .int(2))
    }

    func testMissingSamplesComeFromTheEndpointAndModelsCompare() throws {
        guard (try? PythonInterpreter.resolve()) != nil else { throw XCTSkip("no Python 3: endpoint test skipped") }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("m.db").path
        // The fake server answers every request with an adder; one problem wants a product.
        let server = try FakeEndpoint(scenario: .object([("answers", .array([
            .array(["", .array(["```python\ndef {entry_point}(a, b):\n    return a + b\n```"])]),
        ]))]), folder: folder)
        defer { server.stop() }
        _ = try CLI.succeed(["init"], db: db)
        var problems: [JSON] = [], tests: [JSON] = [], solutions: [JSON] = []
        for (index, op) in ["+", "*"].enumerated() {
            let id = "Toy/\(index)"
            problems.append(["id": .string(id), "prompt": .string("def combine(a, b):\n    \"\"\"Combine with \(op).\"\"\"\n"), "entry_point": "combine"])
            tests.append(["problem": .string(id), "code": .string("assert combine(2, 3) == \(op == "+" ? 5 : 6)"), "kind": "ground_truth"])
            solutions.append(["problem": .string(id), "code": .string("def combine(a, b):\n    return a \(op) b\n"), "model": "oracle"])
        }
        _ = try CLI.succeed(["import", "problems", writeJSONL(problems, in: folder, name: "p.jsonl")], db: db)
        _ = try CLI.succeed(["import", "tests", writeJSONL(tests, in: folder, name: "t.jsonl")], db: db)
        _ = try CLI.succeed(["import", "solutions", writeJSONL(solutions, in: folder, name: "s.jsonl")], db: db)
        let result = try CLI.succeed(["eval", "models", "--model", "fake", "--model", "oracle", "--endpoint", server.url, "--format", "json"], db: db)
        let report = try JSON.parse(result.stdout)
        let scores = Dictionary(uniqueKeysWithValues: (report["scores"]?.arrayValue ?? []).map { ($0["model"]!.stringValue!, $0["pass_at_k"]!["1"]!) })
        XCTAssertEqual(scores["fake"], .double(0.5), result.stdout)
        XCTAssertEqual(scores["oracle"], .double(1), result.stdout)
        let difference = report["differences"]?.arrayValue?.first
        XCTAssertEqual(difference?["a"], "fake")
        XCTAssertEqual(difference?["mean_difference"], .double(-0.5))
        // Greedy: one sample per problem at temperature 0.
        let requests = server.requests()
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests.first?["body"]?["temperature"] ?? requests.first?["temperature"], .double(0), requests.first?.text ?? "")
        // Run again: nothing new is requested, a second evaluation is stored.
        _ = try CLI.succeed(["eval", "models", "--model", "fake", "--endpoint", server.url], db: db)
        XCTAssertEqual(server.requests().count, 2)
        let stored = try CLI.succeed(["query", "SELECT count(*) AS n FROM model_evaluations", "--format", "csv"], db: db)
        XCTAssertEqual(stored.stdout, "n\r\n2\r\n")
    }
}
