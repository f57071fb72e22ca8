import CodeDPOKit
import Foundation
import XCTest

/// `codedpo demo` end to end: every stage produced rows, the dataset shows what it was written
/// to show, every export loads as trainers load it, and the queries it suggests run.
final class DemoCLITests: XCTestCase {
    func testDemoRunsEveryStage() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: demo test skipped") }
        let folder = temporaryFolder(self).appendingPathComponent("demo")
        let result = try CLI.run(["demo", "--dir", folder.path, "--jobs", "2", "--python", python.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let db = folder.appendingPathComponent("demo.db").path
        func value(_ sql: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
            let out = try CLI.run(["query", sql, "--format", "csv", "--db", db])
            XCTAssertEqual(out.status, 0, out.stderr, file: file, line: line)
            return out.stdout.split(separator: "\r\n").dropFirst().joined(separator: "\n")
        }
        // Every stage left rows.
        XCTAssertGreaterThanOrEqual(Int(try value("SELECT count(*) FROM problems")) ?? 0, 20)
        XCTAssertEqual(try value("SELECT count(*) > 0 FROM tests WHERE kind = 'ground_truth'"), "1")
        let statuses = Set(try value("SELECT DISTINCT status FROM executions").split(separator: "\n").map(String.init))
        XCTAssertTrue(statuses.isSuperset(of: ["pass", "fail", "error", "timeout", "load_error"]), "\(statuses)")
        XCTAssertEqual(try value("SELECT group_concat(strategy) FROM (SELECT DISTINCT strategy FROM score_runs ORDER BY strategy)"),
                       "\"all-tests,b4,codet,mbr-exec,pass-count,random,self-validation,soft-b4-outcomes\"")
        XCTAssertEqual(try value("SELECT count(*) > 0 FROM efficiency_results WHERE status = 'ranked'"), "1")
        XCTAssertEqual(try value("SELECT count(*) > 0 FROM trusted_tests"), "1")
        XCTAssertEqual(try value("SELECT count(DISTINCT format) FROM exports WHERE count > 0"), "6")
        XCTAssertGreaterThan(Int(try value("SELECT count(*) FROM pairs WHERE kind = 'correctness'")) ?? 0, 10)
        XCTAssertGreaterThan(Int(try value("SELECT count(*) FROM pairs WHERE kind = 'efficiency'")) ?? 0, 2)
        XCTAssertEqual(try value("SELECT count(*) FROM runs WHERE status <> 'ok'"), "0")

        // What the dataset was written to show: self-validation scores some wrong test below
        // every right test of its problem, and a slow correct solution loses an efficiency pair.
        XCTAssertEqual(try value("""
            SELECT count(*) > 0 FROM test_ranking r JOIN test_sources ts ON ts.test_id = r.test_id
            WHERE r.strategy = 'self-validation' AND json_extract(ts.metadata, '$.role') = 'wrong'
              AND r.score < (SELECT min(r2.score) FROM test_ranking r2 JOIN test_sources ts2 ON ts2.test_id = r2.test_id
                             WHERE r2.score_run_id = r.score_run_id AND r2.problem_id = r.problem_id AND json_extract(ts2.metadata, '$.role') = 'right')
            """), "1")
        XCTAssertEqual(try value("""
            SELECT count(*) > 0 FROM pairs x JOIN solution_sources ss ON ss.solution_id = x.rejected_solution_id
            WHERE x.kind = 'efficiency' AND json_extract(ss.metadata, '$.role') = 'correct-slow'
            """), "1")

        // The report is there and is a page with charts.
        let report = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<svg"), "report has no charts")
        // The paper's numbers (speedups of the efficiency pairs, share "optimized") in the report
        // and in every export's manifest.
        XCTAssertTrue(report.contains("&quot;optimized&quot; (at least 1.1× faster"), "report has no optimized share")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("exports/demo.trl.manifest.json"))) as? [String: Any]
        let speedups = (manifest?["efficiency_run"] as? [String: Any])?["speedups"] as? [String: Any]
        XCTAssertGreaterThan(speedups?["pairs"] as? Int ?? 0, 2, "\(String(describing: speedups))")
        XCTAssertGreaterThan(speedups?["optimized_share"] as? Double ?? 0, 0.5, "\(String(describing: speedups))")
        XCTAssertNotNil(speedups?["median"] as? Double, "\(String(describing: speedups))")
        // The three suggested queries run and return rows.
        let queries = result.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let start = line.range(of: "codedpo query --db ") else { return nil }
            let rest = line[start.upperBound...]
            guard let open = rest.firstIndex(of: "\""), let close = rest.lastIndex(of: "\""), open < close else { return nil }
            return String(rest[rest.index(after: open)..<close])
        }
        XCTAssertEqual(queries.count, 3, result.stdout)
        for sql in queries {
            let out = try CLI.run(["query", sql, "--format", "csv", "--db", db])
            XCTAssertEqual(out.status, 0, "\(sql): \(out.stderr)")
            XCTAssertGreaterThan(out.stdout.split(separator: "\r\n").count, 1, "no rows: \(sql)")
        }

        // Every export loads as trainers load it.
        guard (try? PythonInterpreter.run(python.path, ["-c", "import datasets"])) != nil else {
            throw XCTSkip("Hugging Face datasets is not installed (python3 -m pip install datasets): trainer loading not checked")
        }
        let (status, text) = try runScript(python.path, "check_exports.py", [folder.appendingPathComponent("exports").path])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("6 exports checked, 0 problems"), text)
    }
}
