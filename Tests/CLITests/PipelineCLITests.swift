import CodeDPOKit
import Foundation
import XCTest

/// import -> execute -> score -> pairs -> export, through the binary, and every export loaded
/// the way trainers load it (scripts/check_exports.py, Hugging Face datasets).
final class PipelineCLITests: XCTestCase {
    func testFromImportToEveryExportFormat() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: pipeline test skipped") }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("p.db").path
        func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
            try CLI.succeed(arguments, db: db, file: file, line: line)
        }
        func write(_ name: String, _ lines: [JSON]) -> String { writeJSONL(lines, in: folder, name: name) }
        var problems: [JSON] = [], solutions: [JSON] = [], tests: [JSON] = []
        for p in 0..<4 {
            let prompt = "def scale(x):\n    \"\"\"Return x times \(p + 2).\"\"\"\n"
            problems.append(["id": .string("S/\(p)"), "prompt": .string(prompt), "entry_point": "scale"])
            // Correct (sampled 3 times), off by one, and crashing.
            solutions.append(["problem": .string("S/\(p)"), "code": .string(prompt + "    return x * \(p + 2)\n"), "count": 3])
            solutions.append(["problem": .string("S/\(p)"), "code": .string(prompt + "    return x * \(p + 2) + 1\n")])
            solutions.append(["problem": .string("S/\(p)"), "code": .string(prompt + "    raise ValueError(x)\n")])
            for x in 1...3 { tests.append(["problem": .string("S/\(p)"), "code": .string("assert scale(\(x)) == \(x * (p + 2))")]) }
            tests.append(["problem": .string("S/\(p)"), "code": .string("assert scale(0) == 1")])  // a wrong test
        }
        _ = try run(["init"])
        _ = try run(["import", "problems", write("p.jsonl", problems)])
        _ = try run(["import", "solutions", write("s.jsonl", solutions)])
        _ = try run(["import", "tests", write("t.jsonl", tests)])
        _ = try run(["execute", "--quiet", "--python", python.path])
        _ = try run(["score", "--strategy", "consensus"])
        let pairs = try run(["pairs", "--score-run", "1", "--name", "v1", "--format", "json"])
        XCTAssertEqual(try JSON.parse(pairs.stdout)["summary"]?["correctness_pairs"], .int(4))
        let show = try run(["pairs", "show", "--pair-set", "v1", "--problem", "S/0"])
        XCTAssertTrue(show.stdout.contains("CHOSEN"), show.stdout)
        XCTAssertTrue(show.stdout.contains("return x * 2"), show.stdout)
        let out = folder.appendingPathComponent("out")
        for format in ExportFormat.pairFormats {
            _ = try run(["export", "--pair-set", "v1", "--format", format.rawValue, "--out", out.appendingPathComponent("\(format.rawValue).jsonl").path])
        }
        let exports = try run(["query", "SELECT format, count FROM exports ORDER BY id", "--format", "csv"])
        XCTAssertEqual(exports.stdout, "format,count\r\ntrl,4\r\ntrl-chat,4\r\nkto,8\r\nsft,4\r\nllamafactory,4\r\nopenrlhf,4\r\n")
        let trl = try String(contentsOf: out.appendingPathComponent("trl.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(try JSON.parse(String(trl[0]))["chosen"], "    return x * 2\n")

        guard (try? PythonInterpreter.run(python.path, ["-c", "import datasets"])) != nil else {
            throw XCTSkip("Hugging Face datasets is not installed (python3 -m pip install datasets): trainer loading not checked")
        }
        let (status, text) = try runScript(python.path, "check_exports.py", [out.path])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("6 exports checked, 0 problems"), text)
    }
}
