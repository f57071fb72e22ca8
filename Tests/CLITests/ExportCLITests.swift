import CodeDPOKit
import Foundation
import XCTest

/// Real whole-program data (AgentCoder's GPT-3.5 answers to HumanEval, most of them full
/// functions with their own imports) through import -> execute -> score -> pairs -> every
/// export format, the RL formats and a Hub folder, each loaded as trainers load it; then the
/// database browsed through Datasette's canned queries.
final class ExportCLITests: XCTestCase {
    func testWholeProgramDataExportsInEveryFormatAndBrowsesInDatasette() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: export test skipped") }
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/agentcoder/gpt-3.5-turbo-1106.json")
        guard FileManager.default.fileExists(atPath: data.path) else { throw XCTSkip("../shared/data/agentcoder is absent: real-data export test skipped") }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("codedpo.db").path
        func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
            try CLI.succeed(arguments, db: db, file: file, line: line)
        }
        _ = try run(["init"])
        for kind in ["problems", "solutions", "tests"] { _ = try run(["import", kind, data.path, "--format", "agentcoder"]) }
        _ = try run(["execute", "--quiet", "--python", python.path] + (0..<12).flatMap { ["--problem", "HumanEval/\($0)"] })
        _ = try run(["score", "--strategy", "self-validation"])
        _ = try run(["pairs", "--score-run", "1", "--name", "ac"])
        let pairs = try run(["query", "SELECT count(*) FROM pairs", "--format", "csv"]).stdout.split(separator: "\r\n")[1]
        XCTAssertGreaterThan(Int(pairs) ?? 0, 3)

        let out = folder.appendingPathComponent("out")
        for format in ExportFormat.pairFormats {
            let result = try run(["export", "--pair-set", "ac", "--format", format.rawValue, "--out", out.appendingPathComponent("\(format.rawValue).jsonl").path])
            XCTAssertTrue(result.stdout.contains("length: chosen "), result.stdout)
            let manifest = try JSON.parse(try String(contentsOf: out.appendingPathComponent("\(format.rawValue).manifest.json"), encoding: .utf8))
            // Both shapes occur: full functions (instruction prompt) and bare bodies (completion).
            XCTAssertGreaterThan(manifest["statistics"]?["shapes"]?["instruction"]?.intValue ?? 0, 0, format.rawValue)
            XCTAssertGreaterThan(manifest["statistics"]?["shapes"]?["completion"]?.intValue ?? 0, 0, format.rawValue)
            XCTAssertEqual(manifest["models"], ["gpt-3.5-turbo-1106"])
        }
        let grpo = try run(["export", "--score-run", "1", "--format", "grpo", "--out", out.appendingPathComponent("grpo.jsonl").path])
        XCTAssertTrue(grpo.stdout.contains("problems (fewer than 4 trusted tests)"), grpo.stdout)
        _ = try run(["export", "--score-run", "1", "--format", "verl", "--out", out.appendingPathComponent("verl.json").path])
        _ = try run(["export", "--pair-set", "ac", "--format", "openrlhf-rl", "--out", out.appendingPathComponent("openrlhf-rl.jsonl").path])
        let hub = folder.appendingPathComponent("hub")
        _ = try run(["export", "--pair-set", "ac", "--format", "trl-chat", "--hub", hub.path, "--split", "0.3", "--license", "mit"])
        // verl as a Hub folder: Parquet when pyarrow is installed (datasets brings it), else .json.
        let hubRL = folder.appendingPathComponent("hub-rl")
        _ = try run(["export", "--score-run", "1", "--format", "verl", "--hub", hubRL.path, "--min-tests", "5"])
        let refused = try CLI.run(["export", "--score-run", "1", "--format", "trl", "--out", "x.jsonl", "--db", db])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("give --pair-set NAME"), refused.stderr)

        if (try? PythonInterpreter.run(python.path, ["-c", "import datasets"])) == nil {
            print("Hugging Face datasets is not installed (python3 -m pip install datasets): trainer loading not checked")
        } else {
            let (status, text) = try runScript(python.path, "check_exports.py", [out.path, hub.path, hubRL.path])
            XCTAssertEqual(status, 0, text)
            XCTAssertTrue(text.contains("11 exports checked, 0 problems"), text)
        }

        guard (try? PythonInterpreter.run(python.path, ["-c", "import datasette"])) != nil else {
            throw XCTSkip("datasette is not installed (python3 -m pip install datasette): canned queries not checked")
        }
        let (status, text) = try runScript(python.path, "open_datasette.py", [db, "--query", "pairs_with_programs", "pair_set=ac"])
        XCTAssertEqual(status, 0, text)
        let rows = try XCTUnwrap(try JSON.parse(text).arrayValue)
        XCTAssertEqual(rows.count, Int(pairs))
        XCTAssertTrue(rows.allSatisfy { ($0["chosen"]?.stringValue ?? "").contains("def ") && $0["rejected"]?.stringValue != nil }, text)
        let pair = try XCTUnwrap(rows.first?["pair"]?.intValue)
        let (winningStatus, winning) = try runScript(python.path, "open_datasette.py", [db, "--query", "winning_tests", "pair=\(pair)"])
        XCTAssertEqual(winningStatus, 0, winning)
        let tests = try XCTUnwrap(try JSON.parse(winning).arrayValue)
        XCTAssertFalse(tests.isEmpty, "a chosen solution ranked above the rejected one passes some test the rejected one fails")
        XCTAssertTrue(tests.allSatisfy { $0["chosen"] == "pass" && $0["rejected"] != "pass" }, winning)
    }
}
