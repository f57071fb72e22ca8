import CodeDPOKit
import Foundation
import XCTest

final class ExecuteCLITests: XCTestCase {
    var folder: URL!
    var db: String { folder.appendingPathComponent("exec.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder(self)
        guard (try? PythonInterpreter.resolve()) != nil else { throw XCTSkip("no Python 3: execute tests skipped") }
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0)
    }

    func write(_ name: String, _ lines: [JSON]) -> String { writeJSONL(lines, in: folder, name: name) }

    /// `problems` problems, each with `solutions` solutions and `tests` tests that each take
    /// `sleep` seconds, so a run lasts long enough to be killed in the middle.
    func seed(problems: Int, solutions: Int, tests: Int, sleep: Double) throws -> Int {
        var problemLines: [JSON] = [], solutionLines: [JSON] = [], testLines: [JSON] = []
        for p in 0..<problems {
            problemLines.append(["id": .string("K/\(p)"), "prompt": .string("def f(x):  # \(p)\n"), "entry_point": "f"])
            for s in 0..<solutions {
                solutionLines.append(["problem": .string("K/\(p)"), "code": .string("import time\ndef f(x):\n    time.sleep(\(sleep))  # variant \(s)\n    return x + \(s % 2)\n")])
            }
            for t in 0..<tests {
                testLines.append(["problem": .string("K/\(p)"), "code": .string("assert f(\(t)) == \(t + 1)")])
            }
        }
        for (kind, file) in [("problems", write("p.jsonl", problemLines)), ("solutions", write("s.jsonl", solutionLines)), ("tests", write("t.jsonl", testLines))] {
            let result = try CLI.run(["import", kind, file, "--db", db])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        return problems * solutions * tests
    }

    func verdictCount(file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let result = try CLI.run(["query", "SELECT count(*) AS n FROM executions", "--format", "jsonl", "--db", db])
        guard let count = (try? JSON.parse(result.stdout))?["n"]?.intValue else {
            XCTFail("query failed (\(result.status)): \(result.stdout) \(result.stderr)", file: file, line: line)
            return -1
        }
        return Int(count)
    }

    /// Starts `codedpo execute` in the background and returns once it has committed verdicts.
    func startExecuteAndWaitForVerdicts(jobs: Int) throws -> (Process, seen: Int) {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["execute", "--jobs", "\(jobs)", "--quiet", "--db", db]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 60)
        var seen = 0
        while Date() < deadline {
            seen = try verdictCount()
            if seen > 0 { break }
            usleep(50_000)
        }
        return (process, seen)
    }

    func testExecuteReportsAndRecordsItsRun() throws {
        _ = try seed(problems: 2, solutions: 2, tests: 3, sleep: 0)
        let result = try CLI.run(["execute", "--format", "json", "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSON.parse(result.stdout)
        XCTAssertEqual(report["done"], .int(12))
        XCTAssertEqual(report["statuses"]?["pass"], .int(6))
        XCTAssertEqual(report["statuses"]?["fail"], .int(6))
        XCTAssertTrue(result.stderr.contains("python: /"), "the interpreter in use is printed: \(result.stderr)")
        let again = try CLI.run(["execute", "--db", db])
        XCTAssertTrue(again.stdout.contains("nothing to run"), again.stdout)
        let runs = try CLI.run(["query", "SELECT status FROM runs WHERE command = 'execute'", "--format", "csv", "--db", db])
        XCTAssertEqual(runs.stdout, "status\r\nok\r\nok\r\n")
    }

    func testKilledWithSIGKILLThenRestartedGivesExactlyOneVerdictPerPair() throws {
        let total = try seed(problems: 4, solutions: 6, tests: 10, sleep: 0.02)
        // Kill it once some verdicts are committed and before all are.
        let (process, seen) = try startExecuteAndWaitForVerdicts(jobs: 2)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertGreaterThan(seen, 0, "the run committed nothing before it was killed")
        let afterKill = try verdictCount()
        XCTAssertLessThan(afterKill, total, "the run finished before it could be killed: make it longer")

        let resumed = try CLI.run(["execute", "--format", "json", "--db", db])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try JSON.parse(resumed.stdout)["done"]?.intValue, Int64(total - afterKill), "only the missing pairs run")
        XCTAssertEqual(try verdictCount(), total)
        let distinct = try CLI.run(["query", "SELECT count(DISTINCT solution_id || '-' || test_id) AS n FROM executions", "--format", "csv", "--db", db])
        XCTAssertEqual(distinct.stdout, "n\r\n\(total)\r\n", "no duplicates, no gaps")
        let runs = try CLI.run(["query", "SELECT status FROM runs WHERE command = 'execute' ORDER BY id", "--format", "csv", "--db", db])
        XCTAssertEqual(runs.stdout, "status\r\ninterrupted\r\nok\r\n", "the killed run is marked interrupted")
    }

    /// `codedpo execute --format json` in the background, its report read when it ends.
    func startExecute(jobs: Int) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["execute", "--jobs", "\(jobs)", "--quiet", "--format", "json", "--db", db]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    func finish(_ run: (Process, Pipe), file: StaticString = #filePath, line: UInt = #line) throws -> JSON {
        let data = run.1.fileHandleForReading.readDataToEndOfFile()
        run.0.waitUntilExit()
        XCTAssertEqual(run.0.terminationStatus, 0, file: file, line: line)
        return try JSON.parse(String(decoding: data, as: UTF8.self))
    }

    func assertEveryPairOnce(_ total: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try verdictCount(), total, "no gaps", file: file, line: line)
        let distinct = try CLI.run(["query", "SELECT count(DISTINCT solution_id || '-' || test_id) AS n FROM executions", "--format", "csv", "--db", db])
        XCTAssertEqual(distinct.stdout, "n\r\n\(total)\r\n", "no duplicates", file: file, line: line)
        let claims = try CLI.run(["query", "SELECT count(*) AS n FROM execution_claims", "--format", "csv", "--db", db])
        XCTAssertEqual(claims.stdout, "n\r\n0\r\n", "finished runs leave no claims", file: file, line: line)
    }

    func testTwoRunsOnOneDatabaseShareTheWork() throws {
        let total = try seed(problems: 3, solutions: 8, tests: 10, sleep: 0.02)
        let first = try startExecute(jobs: 1)
        let second = try startExecute(jobs: 1)
        let reports = [try finish(first), try finish(second)]
        let done = reports.map { Int($0["done"]?.intValue ?? -1) }
        XCTAssertEqual(done.reduce(0, +), total, "every pair ran once, in one run or the other: \(done)")
        XCTAssertTrue(done.allSatisfy { $0 > 0 }, "both runs did part of the work: \(done)")
        try assertEveryPairOnce(total)
    }

    func testWorkOfARunKilledMidwayIsTakenOverByTheOtherRun() throws {
        let total = try seed(problems: 3, solutions: 8, tests: 10, sleep: 0.02)
        let (victim, _) = try startExecuteAndWaitForVerdicts(jobs: 1)
        let survivor = try startExecute(jobs: 1)
        usleep(300_000)
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let report = try finish(survivor)
        XCTAssertEqual(report["left_to_other_runs"]?.intValue, 0)
        try assertEveryPairOnce(total)
        let runs = try CLI.run(["query", "SELECT status FROM runs WHERE command = 'execute' ORDER BY id", "--format", "csv", "--db", db])
        XCTAssertEqual(runs.stdout, "status\r\ninterrupted\r\nok\r\n")
    }

    func testCtrlCStopsCleanlyAndKeepsFinishedWork() throws {
        let total = try seed(problems: 2, solutions: 6, tests: 10, sleep: 0.05)
        let (process, _) = try startExecuteAndWaitForVerdicts(jobs: 1)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let kept = try verdictCount()
        XCTAssertGreaterThan(kept, 0)
        XCTAssertLessThan(kept, total)
        XCTAssertEqual(kept % 10, 0, "only whole jobs are kept (10 tests each), never a job cut short")
        let runs = try CLI.run(["query", "SELECT status FROM runs WHERE command = 'execute'", "--format", "csv", "--db", db])
        XCTAssertEqual(runs.stdout, "status\r\ninterrupted\r\n")
    }
}
