import Foundation
import XCTest

@testable import CodeDPOKit

/// `generate` against a scripted OpenAI-compatible server on 127.0.0.1 (real HTTP): n,
/// retries, timeouts, bad bodies, refused connections, concurrency, the key, resuming,
/// provenance and problems from seeds.
final class GenerationTests: XCTestCase {
    var db: Database!
    var folder: URL!

    override func setUpWithError() throws {
        db = try migratedDatabase(self)
        folder = URL(fileURLWithPath: db.path).deletingLastPathComponent()
        guard (try? PythonInterpreter.resolve()) != nil else { throw XCTSkip("no Python 3: generation tests skipped") }
    }

    /// A solution answer in a fence with chatter around it; `{i}` makes each one distinct.
    static let solutionAnswer = "Here is my solution:\n```python\ndef {entry_point}(a, b):\n    return a + b + {i} - {i}\n```\nIt adds."
    static let testAnswer = "```python\nassert {entry_point}(1, 2) == 3\nassert {entry_point}(0, 0) == 0\nassert {entry_point}(helper(1), 2) == 3\n```"

    func scenario(_ members: [(String, JSON)] = []) -> JSON {
        var all: [(String, JSON)] = [("answers", .array([
            .array(["Write test cases", .array([.string(Self.testAnswer)])]),
            .array(["Complete the following", .array([.string(Self.solutionAnswer)])]),
        ]))]
        all += members
        return .object(all)
    }

    func count(_ sql: String, _ values: SQLBindable...) throws -> Int {
        let statement = try db.prepare(sql)
        try statement.bind(values)
        defer { statement.reset() }
        return try statement.step() ? statement.int(at: 0) : 0
    }

    // MARK: n

    func testOneRequestAsksForAllSamplesWhenTheServerHonoursN() async throws {
        let server = try FakeOpenAIServer(scenario: scenario(), test: self)
        try addGenerationProblems(db, count: 2, folder: folder)
        let report = try await generate(db, { $0.samples = 3 }, endpoint: server.baseURL)
        XCTAssertEqual(report.requests, 2)
        XCTAssertEqual(report.choices, 6)
        XCTAssertEqual(report.parsed, 6)
        XCTAssertFalse(report.serverIgnoresN)
        XCTAssertEqual(server.requests().compactMap { $0["body"]?["n"]?.intValue }, [3, 3])
        XCTAssertEqual(try count("SELECT count(*) FROM generation_outputs"), 6)
        XCTAssertEqual(try count("SELECT sum(sample_count) FROM solutions"), 6)
    }

    func testAServerThatIgnoresNIsAskedOneSampleAtATime() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("honour_n", false)]), test: self)
        try addGenerationProblems(db, count: 2, folder: folder)
        let report = try await generate(db, { $0.samples = 3; $0.concurrency = 1 }, endpoint: server.baseURL)
        XCTAssertTrue(report.serverIgnoresN)
        XCTAssertEqual(report.choices, 6, "every sample asked for arrives")
        let ns = server.requests().map { $0["body"]?["n"]?.intValue ?? 1 }
        XCTAssertEqual(ns.first, 3, "the first request asks for all")
        XCTAssertEqual(Array(ns.dropFirst()), Array(repeating: 1, count: 5), "then one at a time: \(ns)")
        XCTAssertEqual(try count("SELECT count(*) FROM generation_outputs o JOIN generations g ON g.id = o.generation_id WHERE g.problem_id = 1"), 3)
        XCTAssertEqual(try count("SELECT count(*) FROM generation_outputs o JOIN generations g ON g.id = o.generation_id WHERE g.problem_id = 2"), 3)
    }

    func testAServerThatRefusesNIsAskedAgainOneAtATime() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("reject_n", true)]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        let report = try await generate(db, { $0.samples = 2; $0.concurrency = 1 }, endpoint: server.baseURL)
        XCTAssertEqual(report.choices, 2)
        XCTAssertEqual(report.failed, 0, "a refused n is not a failure of the run")
        XCTAssertEqual(server.requests().map { $0["status"]?.intValue }, [400, 200, 200])
        XCTAssertEqual(try count("SELECT count(*) FROM generations WHERE status = 'failed' AND http_status = 400 AND error LIKE '%n%must be 1%'"), 1,
                       "the refused request is recorded too")
    }

    // MARK: Retries, timeouts, bad bodies, refused connections

    func testRetriesOn429And500HonouringRetryAfter() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("plan", .array([
            .object([("status", 429), ("retry_after", "1")]),
            .object([("status", 500)]),
        ]))]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        let report = try await generate(db, { _ in }, endpoint: server.baseURL)
        XCTAssertEqual(report.ok, 1)
        XCTAssertEqual(report.attempts, 3)
        let requests = server.requests()
        XCTAssertEqual(requests.map { $0["status"]?.intValue }, [429, 500, 200])
        let gap = requests[1]["arrived"]!.doubleValue! - requests[0]["ended"]!.doubleValue!
        XCTAssertGreaterThanOrEqual(gap, 0.95, "Retry-After: 1 is honoured")
        let row = try db.rows("SELECT status, attempts, http_status, error FROM generations").first!
        XCTAssertEqual(row.values, [.text("ok"), .integer(3), .integer(200), .null])
    }

    func testARequestThatKeepsFailingIsStoredAsFailedAndTheRunGoesOn() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("plan", .array(Array(repeating: .object([("status", 503)]), count: 3)))]), test: self)
        try addGenerationProblems(db, count: 2, folder: folder)
        let report = try await generate(db, { $0.concurrency = 1; $0.client.retries = 2 }, endpoint: server.baseURL)
        XCTAssertEqual(report.failed, 1)
        XCTAssertEqual(report.ok, 1, "the next problem is still generated")
        let failed = try db.rows("SELECT attempts, http_status, error FROM generations WHERE status = 'failed'")
        XCTAssertEqual(failed.count, 1)
        XCTAssertEqual(failed[0][0], .integer(3))
        XCTAssertEqual(failed[0][1], .integer(503))
        XCTAssertTrue(failed[0][2].string!.contains("HTTP 503"), failed[0][2].string!)
        XCTAssertTrue(failed[0][2].string!.contains("gave up after 3 attempts"), failed[0][2].string!)
    }

    func testATimedOutAttemptIsRetriedWithinTheTimeout() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("plan", .array([.object([("delay", 5)])]))]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        let started = Date()
        let report = try await generate(db, { $0.client.timeout = 0.5 }, endpoint: server.baseURL)
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "the timeout cut the slow attempt")
        XCTAssertEqual(report.ok, 1)
        XCTAssertEqual(report.attempts, 2)
    }

    func testEveryAttemptTimingOutIsAFailureThatSaysSo() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("default", .object([("delay", 3)]))]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        let report = try await generate(db, { $0.client.timeout = 0.3; $0.client.retries = 1 }, endpoint: server.baseURL)
        XCTAssertEqual(report.failed, 1)
        let error = try db.scalar("SELECT error FROM generations")?.string ?? ""
        XCTAssertTrue(error.contains("timed out after"), error)
        XCTAssertEqual(try count("SELECT attempts FROM generations"), 2)
    }

    func testAMalformedBodyIsAFailureWithTheBodyShownAndTheRunGoesOn() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("plan", .array([
            .object([("body", "<html>this is not json</html>")]),
            .object([("body", "{\"object\": \"chat.completion\"}")]),
        ]))]), test: self)
        try addGenerationProblems(db, count: 3, folder: folder)
        let report = try await generate(db, { $0.concurrency = 1 }, endpoint: server.baseURL)
        XCTAssertEqual(report.failed, 2)
        XCTAssertEqual(report.ok, 1)
        let rows = try db.rows("SELECT error, response FROM generations WHERE status = 'failed' ORDER BY id")
        XCTAssertTrue(rows[0][0].string!.contains("not JSON") && rows[0][0].string!.contains("this is not json"), rows[0][0].string!)
        XCTAssertEqual(rows[0][1], .null)
        XCTAssertTrue(rows[1][0].string!.contains("no \"choices\""), rows[1][0].string!)
        XCTAssertEqual(server.requests().count, 3, "a malformed body is not retried")
    }

    func testARefusedConnectionIsRetriedThenFailedAndTooManyFailuresStopTheRun() async throws {
        try addGenerationProblems(db, count: 4, folder: folder)
        let endpoint = "http://127.0.0.1:\(closedPort())/v1"
        let report = try await generate(db, { $0.concurrency = 1; $0.client.retries = 2; $0.maxConsecutiveFailures = 2 }, endpoint: endpoint)
        XCTAssertEqual(report.failed, 2)
        XCTAssertNotNil(report.stoppedBecause)
        XCTAssertTrue(report.stoppedBecause!.contains("2 requests in a row failed"), report.stoppedBecause!)
        let rows = try db.rows("SELECT status, attempts, error FROM generations ORDER BY id")
        XCTAssertEqual(rows.count, 2, "no request was sent after the stop")
        XCTAssertEqual(rows[0][0], .text("failed"))
        XCTAssertEqual(rows[0][1], .integer(3))
        XCTAssertTrue(rows[0][2].string!.contains("could not connect"), rows[0][2].string!)
    }

    // MARK: Concurrency and the key

    func testConcurrencyBoundIsRespected() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("default", .object([("delay", 0.3)]))]), test: self)
        try addGenerationProblems(db, count: 9, folder: folder)
        let started = Date()
        let report = try await generate(db, { $0.concurrency = 3 }, endpoint: server.baseURL)
        XCTAssertEqual(report.ok, 9)
        let inFlight = server.requests().compactMap { $0["in_flight"]?.intValue }
        XCTAssertEqual(inFlight.max(), 3, "at most 3 requests in flight, and 3 were: \(inFlight)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5, "requests overlap")
    }

    func testTheAPIKeyIsSentButNeverStored() async throws {
        let key = "sk-test-0123456789-NEVER-STORE-ME"
        let server = try FakeOpenAIServer(scenario: scenario([("plan", .array([.object([("echo_auth", true)])]))]), test: self)
        try addGenerationProblems(db, count: 2, folder: folder)
        let report = try await generate(db, { $0.client.apiKey = key; $0.concurrency = 1 }, endpoint: server.baseURL)
        XCTAssertEqual(report.failed, 1, "the 401 is not retried")
        XCTAssertEqual(report.ok, 1)
        XCTAssertEqual(server.requests().map { $0["authorization"]?.stringValue }, ["Bearer \(key)", "Bearer \(key)"])
        let error = try db.scalar("SELECT error FROM generations WHERE status = 'failed'")?.string ?? ""
        XCTAssertTrue(error.contains("[redacted]"), error)
        XCTAssertFalse(report.json.text.contains(key))
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ["", "-wal"] {
            if let bytes = FileManager.default.contents(atPath: db.path + suffix) {
                XCTAssertNil(bytes.range(of: Data(key.utf8)), "the key is in \(db.path + suffix)")
                XCTAssertNil(bytes.range(of: Data("NEVER-STORE".utf8)))
            }
        }
    }

    // MARK: Resuming

    func testAskingAgainRequestsOnlyTheMissingSamples() async throws {
        let server = try FakeOpenAIServer(scenario: scenario(), test: self)
        try addGenerationProblems(db, count: 2, folder: folder)
        _ = try await generate(db, { $0.samples = 2 }, endpoint: server.baseURL)
        let again = try await generate(db, { $0.samples = 2 }, endpoint: server.baseURL)
        XCTAssertEqual(again.requests, 0)
        XCTAssertEqual(again.plan.complete, 2)
        let more = try await generate(db, { $0.samples = 5 }, endpoint: server.baseURL)
        XCTAssertEqual(more.choices, 6)
        XCTAssertEqual(server.requests().compactMap { $0["body"]?["n"]?.intValue ?? 1 }, [2, 2, 3, 3])
        XCTAssertEqual(try count("SELECT count(*) FROM generation_outputs"), 10)
        XCTAssertEqual(try db.rows("SELECT problem_id, slot FROM generations ORDER BY problem_id, slot").map { $0.values },
                       [[1, 0], [1, 1], [2, 0], [2, 1]].map { $0.map { SQLValue.integer(Int64($0)) } }, "slots number each problem's requests")
        let other = try await generate(db, { $0.samples = 1 }, endpoint: server.baseURL, model: "another-model")
        XCTAssertEqual(other.requests, 2, "samples count per model")
    }

    func testFailedAndAbandonedRequestsAreAskedAgainWithoutDuplicates() async throws {
        let server = try FakeOpenAIServer(scenario: scenario([("plan", .array([.object([("status", 400)])]))]), test: self)
        try addGenerationProblems(db, count: 2, folder: folder)
        let first = try await generate(db, { $0.samples = 2; $0.concurrency = 1 }, endpoint: server.baseURL)
        XCTAssertEqual(first.failed, 1)
        // A request left pending by a run that died (simulated: a pending row of a finished run).
        let deadRun = try RunLog(db).start(command: "generate", argv: [])
        try db.run("""
            INSERT INTO generations (run_id, stage, problem_id, slot, endpoint, model, api, request, parameters)
            VALUES (?, 'solution', 2, 7, 'x', 'fake', 'chat', '{}', '{"n": 2}')
            """, deadRun)
        try RunLog(db).finish(deadRun, status: .interrupted)
        let second = try await generate(db, { $0.samples = 2 }, endpoint: server.baseURL)
        XCTAssertEqual(second.choices, 2, "only the failed problem's samples are asked again")
        XCTAssertEqual(try db.scalar("SELECT status FROM generations WHERE slot = 7"), .text("failed"))
        XCTAssertEqual(try count("SELECT count(*) FROM generations WHERE status = 'pending'"), 0)
        for problem in [1, 2] {
            XCTAssertEqual(try count("SELECT count(*) FROM generation_outputs o JOIN generations g ON g.id = o.generation_id WHERE g.problem_id = ?", problem), 2)
        }
        XCTAssertEqual(try count("SELECT sum(sample_count) FROM solutions"), 4)
        XCTAssertEqual(try count("SELECT count(*) FROM solution_sources"), 4)
    }

    func testUnparseableAnswersAreStoredWithTheReasonAndCounted() async throws {
        let server = try FakeOpenAIServer(scenario: .object([("answers", .array([
            .array(["", .array(["I am sorry, I cannot write that function.", .string(Self.solutionAnswer)])]),
        ]))]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        let report = try await generate(db, { $0.samples = 2 }, endpoint: server.baseURL)
        XCTAssertEqual(report.unparseable, 1)
        XCTAssertEqual(report.parsed, 1)
        let row = try db.rows("SELECT parse_status, parse_error, items, text FROM generation_outputs WHERE parse_status = 'unparseable'").first!
        XCTAssertEqual(row[1], .text("no code found in the answer"))
        XCTAssertEqual(row[2], .integer(0))
        XCTAssertTrue(row[3].string!.contains("I am sorry"))
        // Counted toward -n by default; --retry-unparseable asks for it again.
        let again = try await generate(db, { $0.samples = 2 }, endpoint: server.baseURL)
        XCTAssertEqual(again.requests, 0)
        let retried = try await generate(db, { $0.samples = 2; $0.retryUnparseable = true }, endpoint: server.baseURL)
        XCTAssertEqual(retried.choices, 1)
    }

    // MARK: Provenance and identity

    func testSamplesLandWithImportIdentityAndTraceBackToTheirRequest() async throws {
        let server = try FakeOpenAIServer(scenario: .object([("answers", .array([
            .array(["Write test cases", .array([.string(Self.testAnswer)])]),
            .array(["", .array(["```python\ndef {entry_point}(a, b):\n    return a + b\n```"])]),
        ]))]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        // The same program imported from a file first.
        let file = folder.appendingPathComponent("s.jsonl")
        try Data((JSON.object([("problem", "T/0"), ("code", "def add_0(a, b):\n    return a + b\n")]).text + "\n").utf8).write(to: file)
        let importRun = try RunLog(db).start(command: "import", argv: [])
        _ = try Importer.run(db: db, runID: importRun, files: [file.path], options: ImportOptions(kind: .solutions))
        let report = try await generate(db, { $0.samples = 3; $0.temperature = 1.5; $0.seed = 7 }, endpoint: server.baseURL)
        XCTAssertEqual(report.merged, 3)
        XCTAssertEqual(try count("SELECT count(*) FROM solutions"), 1, "one program, one row")
        XCTAssertEqual(try count("SELECT sample_count FROM solutions"), 4)
        XCTAssertEqual(try count("SELECT count(*) FROM solution_sources"), 4)
        // Each generated sample traces back to the request: model, parameters, template, body.
        let trace = try db.rows("""
            SELECT g.model, json_extract(g.parameters, '$.temperature'), g.template_name, json_extract(g.request, '$.seed'),
                   src.kind, ss.model, g.template LIKE '%{{prompt}}%', json_extract(g.request, '$.messages[1].content') LIKE '%def add_0%'
            FROM solution_sources ss JOIN generations g ON g.id = ss.generation_id JOIN sources src ON src.id = ss.source_id
            """)
        XCTAssertEqual(trace.count, 3)
        XCTAssertEqual(trace[0].values, [.text("fake"), .real(1.5), .text("builtin:solutions-chat"), .integer(7), .text("endpoint"), .text("fake"), .integer(1), .integer(1)])
        // Tests: one row per assert that calls the entry point; each with its provenance.
        let tests = try await generate(db, { $0.samples = 2 }, stage: .tests, endpoint: server.baseURL)
        XCTAssertEqual(tests.added["tests"], 2)
        XCTAssertEqual(try db.rows("SELECT code, sample_count FROM tests WHERE kind = 'generated' ORDER BY id").map(\.values),
                       [[.text("assert add_0(1, 2) == 3\n"), .integer(2)], [.text("assert add_0(0, 0) == 0\n"), .integer(2)]])
        XCTAssertEqual(try count("SELECT count(*) FROM test_sources WHERE generation_id IS NOT NULL"), 4)
        let details = try JSON.parse(try db.scalar("SELECT details FROM generation_outputs o JOIN generations g ON g.id = o.generation_id WHERE g.stage = 'test' LIMIT 1")!.string!)
        XCTAssertEqual(details["kept"], .int(2))
        XCTAssertEqual(details["dropped"]?.arrayValue?.first?["reason"], .string("uses names defined elsewhere: helper"))
    }

    // MARK: Problems from seeds

    func testProblemsFromSeedsAreParsedValidatedAndLinkedToTheirSeed() async throws {
        let answer = """
            Concept: running totals

            ```python
            from typing import List


            def running_max(values: List[int]) -> List[int]:
                \"\"\"Return the running maximum of values: element i is max(values[:i + 1]).

                >>> running_max([1, 3, 2])
                [1, 3, 3]
                \"\"\"
            ```
            """
        let server = try FakeOpenAIServer(scenario: .object([("answers", .array([
            .array(["def compact", .array(["I like this code a lot."])]),
            .array(["Concept", .array([.string(answer)])]),
        ]))]), test: self)
        let seeds = folder.appendingPathComponent("seeds.jsonl")
        try Data([
            JSON.object([("content", "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"), ("source", "a.py#L1-L5")]).text,
            JSON.object([("content", "def compact(xs):\n    return [x for x in xs if x]\n"), ("source", "b.py#L1-L2")]).text,
        ].joined(separator: "\n").utf8).write(to: seeds)
        let importRun = try RunLog(db).start(command: "import", argv: [])
        _ = try Importer.run(db: db, runID: importRun, files: [seeds.path], options: ImportOptions(kind: .seeds))
        let report = try await generate(db, { $0.samples = 1 }, stage: .problems, endpoint: server.baseURL)
        XCTAssertEqual(report.added["problems"], 1)
        XCTAssertEqual(report.unparseable, 1)
        let problem = try db.rows("SELECT external_id, entry_point, prompt, seed_id, generation_id, json_extract(metadata, '$.concept') FROM problems").first!
        XCTAssertTrue(problem[0].string!.hasPrefix("gen/running_max-"), problem[0].string!)
        XCTAssertEqual(problem[1], .text("running_max"))
        XCTAssertTrue(problem[2].string!.hasPrefix("from typing import List\n\n\ndef running_max(values: List[int]) -> List[int]:\n    \"\"\"Return the running maximum"), problem[2].string!)
        XCTAssertEqual(problem[3], .integer(1))
        XCTAssertEqual(problem[5], .text("running totals"))
        XCTAssertEqual(try db.scalar("SELECT stage FROM generations WHERE id = ?", problem[4].int64!), .text("problem"))
        XCTAssertEqual(try count("SELECT count(*) FROM problem_sources ps JOIN sources s ON s.id = ps.source_id WHERE s.kind = 'endpoint'"), 1)
        let failure = try db.scalar("SELECT parse_error FROM generation_outputs WHERE parse_status = 'unparseable'")?.string ?? ""
        XCTAssertTrue(failure.contains("no function signature"), failure)
        // The new problem takes solutions like any other.
        let solutions = try await generate(db, { $0.samples = 1; $0.problems = [problem[0].string!] }, endpoint: server.baseURL)
        XCTAssertEqual(solutions.requests, 1)
    }

    // MARK: Scope

    func testShardsAgreeWithExecuteAndCoverEveryProblemOnce() async throws {
        try addGenerationProblems(db, count: 12, folder: folder)
        var seen: [String] = []
        for index in 0..<3 {
            var options = GenerateOptions(stage: .solutions, client: ClientSettings(endpoint: "http://127.0.0.1:1/v1", model: "m"),
                                          template: PromptTemplate.builtin(stage: .solutions, api: .chat))
            options.shard = Shard(index: index, count: 3)
            let generator = Generator(db: db, runID: 0, options: options)
            _ = try generator.plan()
            let names = generator.targets.map(\.name)
            XCTAssertEqual(names, names.filter { Shard(index: index, count: 3).contains(externalID: $0) })
            seen += names
        }
        XCTAssertEqual(seen.sorted(), (0..<12).map { "T/\($0)" }.sorted())
    }

    func testPlanSkipsProblemsWithoutEntryPointAndNamesUnknownProblems() throws {
        try addGenerationProblems(db, count: 2, folder: folder)
        try db.run("UPDATE problems SET entry_point = NULL WHERE external_id = 'T/1'")
        var options = GenerateOptions(stage: .tests, client: ClientSettings(endpoint: "http://127.0.0.1:1/v1", model: "m"),
                                      template: PromptTemplate.builtin(stage: .tests, api: .chat))
        options.samples = 4
        let (plan, work) = try Generator(db: db, runID: 0, options: options).plan()
        XCTAssertEqual(plan.skipped, ["no entry point": 1])
        XCTAssertEqual(plan.samplesMissing, 4)
        XCTAssertEqual(work.count, 1)
        options.problems = ["T/9"]
        XCTAssertThrowsMessage(try Generator(db: db, runID: 0, options: options).plan(), contains: ["no problem \"T/9\""])
    }

    // MARK: Completion API

    func testCompletionAPIContinuesThePromptAndTestsFollowCodeT() async throws {
        let server = try FakeOpenAIServer(scenario: .object([("answers", .array([
            .array(["check the correctness", .array(["1, 2) == 3\nassert add_0(2, 2) == 4\nassert add_0(5,"])]),
            .array(["", .array(["    return a + b\n"])]),
        ]))]), test: self)
        try addGenerationProblems(db, count: 1, folder: folder)
        let report = try await generate(db, { options in
            options.client.api = .completion
            options.template = PromptTemplate.builtin(stage: .solutions, api: .completion)
        }, endpoint: server.baseURL)
        XCTAssertEqual(report.parsed, 1)
        XCTAssertEqual(try db.scalar("SELECT code FROM solutions"), .text("def add_0(a: int, b: int) -> int:\n    \"\"\"Return a + b.\"\"\"\n    return a + b\n"))
        let request = server.requests()[0]
        XCTAssertTrue(request["path"]!.stringValue!.hasSuffix("/v1/completions"))
        XCTAssertEqual(request["body"]?["stop"], JSON(["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"]))
        let tests = try await generate(db, { options in
            options.client.api = .completion
            options.template = PromptTemplate.builtin(stage: .tests, api: .completion)
        }, stage: .tests, endpoint: server.baseURL)
        XCTAssertEqual(tests.added["tests"], 2, "the assert begun in the prompt and the complete one; the cut one is dropped")
        XCTAssertEqual(try db.rows("SELECT code FROM tests ORDER BY id").map { $0[0].string! }, ["assert add_0(1, 2) == 3\n", "assert add_0(2, 2) == 4\n"])
    }
}
