import CodeDPOKit
import Foundation
import XCTest

/// Scale-out: four shards executed (and timed) separately and merged give the same verdicts,
/// scores and pairs as one unsharded run; merging again adds nothing; disagreements are
/// reported, not silently resolved.
final class ShardMergeCLITests: XCTestCase {
    var folder: URL!
    var python = ""

    override func setUpWithError() throws {
        guard let interpreter = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: shard test skipped") }
        python = interpreter.path
        folder = temporaryFolder(self)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @discardableResult
    func run(_ db: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
        try CLI.succeed(arguments, db: db, file: file, line: line)
    }

    func merge(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
        let result = try CLI.run(["merge"] + arguments)
        XCTAssertEqual(result.status, 0, "merge \(arguments): \(result.stderr)", file: file, line: line)
        return result
    }

    func query(_ db: String, _ sql: String) throws -> String {
        try run(db, ["query", sql, "--format", "csv"]).stdout
    }

    func copy(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// Twelve problems with correct, wrong and crashing solutions and one wrong test each,
    /// so scores and pairs are not trivial.
    func makeBase() throws -> String {
        var problems: [JSON] = [], solutions: [JSON] = [], tests: [JSON] = []
        for p in 0..<12 {
            let id = "M/\(p)", k = p + 2
            let prompt = "def f(xs):\n    \"\"\"Sum of xs times \(k).\"\"\"\n"
            problems.append(["id": .string(id), "prompt": .string(prompt), "entry_point": "f"])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    return sum(xs) * \(k)\n"), "count": 2])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    t = 0\n    for x in xs:\n        t += x * \(k)\n    return t\n")])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    return sum(xs[1:]) * \(k)\n"), "count": 2])
            solutions.append(["problem": .string(id), "code": .string(prompt + "    return xs[0] * \(k)\n")])
            for xs in ["[1, 2, 3]", "[5]", "[]", "[4, 4]"] {
                tests.append(["problem": .string(id), "code": .string("assert f(\(xs)) == sum(\(xs)) * \(k)")])
            }
            tests.append(["problem": .string(id), "code": .string("assert f([7, 1]) == \(k)")])  // wrong
            tests.append(["problem": .string(id), "code": .string("assert f([2, 3]) == \(5 * k)"), "kind": "ground_truth"])
        }
        func write(_ name: String, _ lines: [JSON]) -> String { writeJSONL(lines, in: folder, name: name) }
        let base = path("base.db")
        try run(base, ["init"])
        try run(base, ["import", "problems", write("p.jsonl", problems)])
        try run(base, ["import", "solutions", write("s.jsonl", solutions)])
        try run(base, ["import", "tests", write("t.jsonl", tests)])
        return base
    }

    static let verdicts = """
        SELECT p.external_id, s.content_hash, t.content_hash, t.kind, e.status FROM executions e
        JOIN solutions s ON s.id = e.solution_id JOIN tests t ON t.id = e.test_id JOIN problems p ON p.id = s.problem_id
        ORDER BY 1, 2, 3
        """
    static let scores = """
        SELECT r.strategy, p.external_id, coalesce(s.content_hash, 't:' || t.content_hash), printf('%.12f', sc.value)
        FROM scores sc JOIN score_runs r ON r.id = sc.score_run_id AND sc.iteration = r.final_iteration
        LEFT JOIN solutions s ON s.id = sc.solution_id LEFT JOIN tests t ON t.id = sc.test_id
        JOIN problems p ON p.id = coalesce(s.problem_id, t.problem_id)
        ORDER BY 1, 2, 3
        """
    static let pairs = """
        SELECT ps.name, p.external_id, x.kind, c.content_hash, r.content_hash, printf('%.12f', x.margin) FROM pairs x
        JOIN pair_sets ps ON ps.id = x.pair_set_id JOIN problems p ON p.id = x.problem_id
        JOIN solutions c ON c.id = x.chosen_solution_id JOIN solutions r ON r.id = x.rejected_solution_id
        ORDER BY 1, 2, 3, 4, 5
        """

    func scoreAndPair(_ db: String) throws {
        try run(db, ["score", "--strategy", "self-validation"])
        try run(db, ["score", "--strategy", "consensus"])
        try run(db, ["pairs", "--score-run", "1", "--name", "sv"])
        try run(db, ["pairs", "--score-run", "2", "--name", "consensus"])
    }

    func testFourShardsMergedEqualOneUnshardedRun() throws {
        let base = try makeBase()
        let single = path("single.db")
        try copy(base, single)
        try run(single, ["execute", "--quiet", "--python", python, "--jobs", "2"])
        try scoreAndPair(single)

        var shardVerdicts: [Int] = []
        for i in 0..<4 {
            let shard = path("shard-\(i).db")
            try copy(base, shard)
            try run(shard, ["execute", "--quiet", "--python", python, "--jobs", "2", "--shard", "\(i)/4"])
            shardVerdicts.append(Int(try query(shard, "SELECT count(*) AS n FROM executions").split(separator: "\r\n")[1])!)
        }
        let merged = path("merged.db")
        let report = try merge([merged, base] + (0..<4).map { path("shard-\($0).db") } + ["--format", "json"])
        let reports = try JSON.parse(report.stdout).arrayValue ?? []
        XCTAssertEqual(reports.count, 5)
        XCTAssertEqual(reports.compactMap { $0["conflicts"]?.arrayValue?.count }, [0, 0, 0, 0, 0])
        // Every shard did a real, disjoint share of the work.
        let total = 12 * 4 * 6
        XCTAssertTrue(shardVerdicts.allSatisfy { $0 > 0 && $0 < total }, "\(shardVerdicts)")
        XCTAssertEqual(shardVerdicts.reduce(0, +), total)
        XCTAssertEqual(reports.dropFirst().compactMap { $0["added"]?["executions"]?.intValue }.map(Int.init), shardVerdicts)

        try scoreAndPair(merged)
        XCTAssertEqual(try query(merged, Self.verdicts), try query(single, Self.verdicts))
        XCTAssertEqual(try query(merged, Self.scores), try query(single, Self.scores))
        XCTAssertEqual(try query(merged, Self.pairs), try query(single, Self.pairs))
        XCTAssertEqual(try query(merged, "SELECT count(*) AS n FROM pairs WHERE kind = 'correctness'"), "n\r\n24\r\n")
        // One problem, one prompt, one of each solution: nothing duplicated by the merge, and
        // the sample counts are the base's (shards share its sources).
        XCTAssertEqual(try query(merged, "SELECT count(*), sum(sample_count) FROM solutions"), try query(single, "SELECT count(*), sum(sample_count) FROM solutions"))
        XCTAssertEqual(try query(merged, "SELECT count(*) FROM problems"), try query(single, "SELECT count(*) FROM problems"))
        XCTAssertEqual(try query(merged, "SELECT count(*) FROM runs WHERE command = 'import'"), "count(*)\r\n3\r\n")

        // Idempotent: merging everything again adds no row.
        let before = try run(merged, ["stats", "--format", "csv"]).stdout
        let again = try merge([merged, base] + (0..<4).map { path("shard-\($0).db") } + ["--format", "json"])
        for entry in try JSON.parse(again.stdout).arrayValue ?? [] {
            XCTAssertEqual(entry["added"]?.objectValue?.map { $0.1.intValue ?? -1 }.reduce(0, +), 0, entry.text)
        }
        let after = try run(merged, ["stats", "--format", "csv"]).stdout
        // Only the merge runs themselves are new.
        func withoutRuns(_ stats: String) -> [Substring] { stats.split(separator: "\r\n").filter { !$0.hasPrefix("runs") } }
        XCTAssertEqual(withoutRuns(after), withoutRuns(before))
    }

    func testShardedEfficiencyRunsBecomeOneRunThatPairsUse() throws {
        let base = try makeBase()
        try run(base, ["execute", "--quiet", "--python", python, "--jobs", "2"])
        try run(base, ["score", "--strategy", "self-validation"])
        for i in 0..<4 {
            let shard = path("e-\(i).db")
            try copy(base, shard)
            try run(shard, ["efficiency", "--score-run", "1", "--repeat", "1", "--scale", "0.0005", "--shard", "\(i)/4"])
        }
        _ = try merge([base] + (0..<4).map { path("e-\($0).db") })
        XCTAssertEqual(try query(base, "SELECT count(*) AS n, json_extract(parameters, '$.shards') AS shards FROM efficiency_runs"),
                       "n,shards\r\n1,\"[\"\"0/4\"\",\"\"1/4\"\",\"\"2/4\"\",\"\"3/4\"\"]\"\r\n")
        // Every problem's trusted tests and every timed solution came through.
        XCTAssertEqual(try query(base, "SELECT count(DISTINCT problem_id) AS n FROM trusted_tests"), "n\r\n12\r\n")
        XCTAssertEqual(try query(base, "SELECT count(DISTINCT problem_id) AS n FROM efficiency_results"), "n\r\n12\r\n")
        let timings = try (0..<4).map { Int(try query(path("e-\($0).db"), "SELECT count(*) FROM timings").split(separator: "\r\n")[1])! }
        XCTAssertEqual(try query(base, "SELECT count(*) AS n FROM timings"), "n\r\n\(timings.reduce(0, +))\r\n")
        try run(base, ["pairs", "--score-run", "1", "--efficiency-run", "1", "--name", "both", "--min-speedup", "1.0", "--noise-factor", "0"])
        XCTAssertEqual(try query(base, "SELECT count(DISTINCT problem_id) > 0 AS some FROM pairs WHERE kind = 'efficiency'"), "some\r\n1\r\n")
    }

    func testConflictingVerdictIsReportedAndTheOutputKeepsItsOwn() throws {
        let base = try makeBase()
        try run(base, ["execute", "--quiet", "--python", python, "--jobs", "2", "--problem", "M/0"])
        let other = path("other.db")
        try copy(base, other)
        try run(other, ["query", "--write", "UPDATE executions SET status = 'timeout' WHERE id = (SELECT min(id) FROM executions WHERE status = 'pass')"])
        // Another database bound the same problem id to another prompt.
        let clash = path("clash.db")
        try run(clash, ["init"])
        let file = path("clash.jsonl")
        try Data(#"{"id": "M/1", "prompt": "def g():\n    pass\n", "entry_point": "g"}"#.utf8).write(to: URL(fileURLWithPath: file))
        try run(clash, ["import", "problems", file])

        let result = try CLI.run(["merge", base, other, clash, "--fail-on-conflict", "--format", "json"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let reports = try JSON.parse(result.stdout).arrayValue ?? []
        XCTAssertEqual(reports.first?["conflicts"]?.arrayValue?.first?["kind"], "verdict")
        XCTAssertTrue(reports.first?["conflicts"]?.arrayValue?.first?["detail"]?.stringValue?.contains("output has pass, input timeout") ?? false, result.stdout)
        XCTAssertEqual(reports.last?["conflicts"]?.arrayValue?.first?["kind"], "problem")
        XCTAssertTrue(result.stderr.contains("conflict in \(clash): problem M/1"), result.stderr)
        XCTAssertEqual(try query(base, "SELECT count(*) AS n FROM executions WHERE status = 'timeout'"), "n\r\n0\r\n")
        XCTAssertEqual(try query(base, "SELECT count(*) AS n FROM problems"), "n\r\n12\r\n")

        let refused = try CLI.run(["merge", base, base])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("is the output database itself"), refused.stderr)
    }
}
