import CodeDPOKit
import Foundation
import XCTest

/// `codedpo report` on a small real pipeline (import -> execute -> score -> efficiency ->
/// pairs), then the page rendered in headless Chromium by scripts/check_report.py: not blank,
/// no console errors, nothing loaded from outside the file. Chromium is installed by
/// scripts/test.sh; without it the test skips, saying so.
final class ReportCLITests: XCTestCase {
    static let chromiumNames = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    static func findChromium() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in chromiumNames {
            for folder in path.split(separator: ":") {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Runs check_report.py; returns its exit status and everything it printed.
    func check(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runScript(python, "check_report.py", arguments)
    }

    func testReportOfARealPipelineRendersInChromiumWithoutErrors() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: report test skipped") }
        guard Self.findChromium() != nil else {
            throw XCTSkip("no chromium binary (\(Self.chromiumNames.joined(separator: ", "))) on PATH: install it with `apt-get install -y chromium` (scripts/test.sh does)")
        }
        let folder = temporaryFolder(self)
        let db = folder.appendingPathComponent("r.db").path
        func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
            try CLI.succeed(arguments, db: db, file: file, line: line)
        }
        func write(_ name: String, _ lines: [JSON]) -> String { writeJSONL(lines, in: folder, name: name) }
        var problems: [JSON] = [], solutions: [JSON] = [], tests: [JSON] = []
        for p in 0..<3 {
            let k = p + 2
            let prompt = "def scale(x):\n    \"\"\"Return x times \(k).\"\"\"\n"
            problems.append(["id": .string("R/\(p)"), "prompt": .string(prompt), "entry_point": "scale"])
            // Correct and fast (sampled 3 times), correct and slow, off by one, crashing, and
            // one whose comment would be a script if the page did not escape code.
            solutions.append(["problem": .string("R/\(p)"), "code": .string(prompt + "    return x * \(k)\n"), "count": 3])
            solutions.append(["problem": .string("R/\(p)"), "code": .string(prompt + "    total = 0\n    for _ in range(3000):\n        total += 1\n    return x * \(k)\n")])
            solutions.append(["problem": .string("R/\(p)"), "code": .string(prompt + "    return x * \(k) + 1\n")])
            solutions.append(["problem": .string("R/\(p)"), "code": .string(prompt + "    raise ValueError(x)\n")])
            solutions.append(["problem": .string("R/\(p)"), "code": .string(prompt + "    return -x  # </pre><script>throw new Error('unescaped')</script>\n")])
            for x in 1...3 { tests.append(["problem": .string("R/\(p)"), "code": .string("assert scale(\(x)) == \(x * k)")]) }
            tests.append(["problem": .string("R/\(p)"), "code": .string("assert scale(0) == 1")])  // wrong: only the off-by-one passes
            tests.append(["problem": .string("R/\(p)"), "code": .string("assert scale(10) == \(10 * k)"), "kind": "ground_truth"])
        }
        _ = try run(["init"])
        _ = try run(["import", "problems", write("p.jsonl", problems)])
        _ = try run(["import", "solutions", write("s.jsonl", solutions)])
        _ = try run(["import", "tests", write("t.jsonl", tests)])
        _ = try run(["execute", "--quiet", "--python", python.path])
        _ = try run(["score", "--all-strategies"])
        let svRun = try run(["query", "SELECT id FROM score_runs WHERE strategy = 'self-validation'", "--format", "csv"])
            .stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? "1"
        _ = try run(["efficiency", "--score-run", svRun, "--repeat", "3", "--scale", "0.002", "--max-noise", "0.5"])
        _ = try run(["pairs", "--score-run", svRun, "--efficiency-run", "1", "--name", "v1"])

        // Usage errors and an unknown score run are refused before anything is written.
        XCTAssertEqual(try CLI.run(["report", "--db", db]).status, 2, "--out is required")
        let unknown = try CLI.run(["report", "--out", folder.appendingPathComponent("x.html").path, "--score-run", "99", "--db", db])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no score run 99"), unknown.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.html").path))

        let out = folder.appendingPathComponent("report.html")
        let result = try run(["report", "--out", out.path, "--format", "json"])
        let json = try JSON.parse(result.stdout)
        let html = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(json["path"]?.stringValue, out.path)
        XCTAssertEqual(json["bytes"]?.intValue, Int64(html.utf8.count))
        XCTAssertEqual(json["sections"]?.arrayValue?.compactMap { $0["id"]?.stringValue },
                       ["counts", "scores", "convergence", "matrices", "strategies", "efficiency"])
        for section in json["sections"]?.arrayValue ?? [] where section["id"]?.stringValue != "efficiency" {
            // Timing on a busy machine may leave no efficiency pair; every other section has data.
            XCTAssertEqual(section["has_content"], .bool(true), "\(section.text)")
        }
        XCTAssertTrue(result.stderr.contains("wrote \(out.path)"), result.stderr)
        XCTAssertFalse(html.contains("<script"), "code is escaped and the page has no script")
        XCTAssertTrue(html.contains("&lt;script&gt;throw new Error(&#39;unescaped&#39;)"), "the solution's code is in the page, escaped")
        XCTAssertTrue(html.contains("R/0") && html.contains("self-validation"))

        // The page in Chromium: not blank, no console error, self-contained.
        let screenshot = folder.appendingPathComponent("report.png").path
        let good = try check(python.path, [out.path, "--screenshot", screenshot])
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertTrue(good.output.contains("ok:"), good.output)
        XCTAssertGreaterThan((try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0, 10_000)

        // The same page broken on purpose must fail, with the error named: the detector works.
        let broken = folder.appendingPathComponent("broken.html")
        try html.replacingOccurrences(of: "</body>", with: "<img src=\"missing-chart.png\"><script>throw new Error('deliberate')</script></body>")
            .write(to: broken, atomically: true, encoding: .utf8)
        let bad = try check(python.path, [broken.path])
        XCTAssertEqual(bad.status, 1, bad.output)
        XCTAssertTrue(bad.output.contains("Uncaught Error: deliberate"), bad.output)
        XCTAssertTrue(bad.output.contains("codedpo-check:resource IMG"), bad.output)
        XCTAssertTrue(bad.output.contains("not self-contained: the page references 'missing-chart.png'"), bad.output)

        // And each detector on its own (a thrown error, console.error, a missing image, an
        // external stylesheet, a blank page, too few colours), beside a good page that passes.
        let selfTest = try check(python.path, ["--self-test"])
        XCTAssertEqual(selfTest.status, 0, selfTest.output)
        XCTAssertTrue(selfTest.output.contains("self-test passed"), selfTest.output)
    }
}
