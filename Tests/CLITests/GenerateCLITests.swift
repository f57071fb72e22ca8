import CodeDPOKit
import Foundation
import XCTest

/// The scripted OpenAI-compatible server (`scripts/fake_openai_server.py`) on 127.0.0.1, on a
/// free port: real HTTP, killed when the test ends, and ending by itself after two minutes.
final class FakeEndpoint {
    let process = Process()
    let folder: URL
    let port: Int
    var url: String { "http://127.0.0.1:\(port)/v1" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/fake_openai_server.py")

    init(scenario: JSON, folder: URL) throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: the fake OpenAI server cannot start") }
        self.folder = folder
        let config = folder.appendingPathComponent("scenario.json")
        try Data(scenario.text.utf8).write(to: config)
        let portFile = folder.appendingPathComponent("port")
        process.executableURL = URL(fileURLWithPath: python.path)
        process.arguments = [Self.script.path, "--config", config.path, "--log", folder.appendingPathComponent("requests.jsonl").path,
                             "--port-file", portFile.path, "--lifetime", "120"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 15)
        var port: Int?
        while Date() < deadline, process.isRunning, port == nil {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if port == nil { usleep(20_000) }
        }
        guard let port else { throw XCTSkip("the fake OpenAI server did not start") }
        self.port = port
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func requests() -> [JSON] {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("requests.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
    }
}

final class GenerateCLITests: XCTestCase {
    var folder: URL!
    var db: String { folder.appendingPathComponent("gen.db").path }

    static let answers: JSON = .array([
        .array(["Write test cases", .array(["```python\nassert {entry_point}(1, 2) == 3\nassert {entry_point}(2, 2) == 4\n```"])]),
        .array(["", .array(["Sure:\n```python\ndef {entry_point}(a, b):\n    return a + b  # {i}\n```"])]),
    ])

    override func setUpWithError() throws {
        folder = temporaryFolder(self)
        guard (try? PythonInterpreter.resolve()) != nil else { throw XCTSkip("no Python 3: generate tests skipped") }
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0)
    }

    func server(_ extra: [(String, JSON)] = []) throws -> FakeEndpoint {
        let endpoint = try FakeEndpoint(scenario: .object([("answers", Self.answers)] + extra), folder: folder)
        addTeardownBlock { endpoint.stop() }
        return endpoint
    }

    func addProblems(_ count: Int) throws {
        let lines = (0..<count).map { index in
            JSON.object([("id", .string("G/\(index)")), ("prompt", .string("def add_\(index)(a, b):\n    \"\"\"Return a + b.\"\"\"\n")),
                         ("entry_point", .string("add_\(index)"))]).text + "\n"
        }.joined()
        let file = folder.appendingPathComponent("problems.jsonl")
        try Data(lines.utf8).write(to: file)
        let result = try CLI.run(["import", "problems", file.path, "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func rows(_ sql: String) throws -> [[SQLValue]] {
        let database = try Database(path: db, mode: .readOnly)
        return try database.rows(sql).map(\.values)
    }

    func count(_ sql: String) throws -> Int { try rows(sql).first?.first?.int ?? -1 }

    func background(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CODEDPO_DB")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func waitFor(_ what: String, timeout: Double = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    // MARK: Tests

    func testGenerateSolutionsAndTestsThenAgainAddsNothing() throws {
        let endpoint = try server()
        try addProblems(2)
        let solutions = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "-n", "3", "--db", db])
        XCTAssertEqual(solutions.status, 0, solutions.stderr)
        XCTAssertTrue(solutions.stdout.contains("solutions: 6 samples for 2 problems"), solutions.stdout)
        XCTAssertTrue(solutions.stderr.contains("note: solutions from \(endpoint.url) (chat), model fake, 3 per problem"), solutions.stderr)
        let tests = try CLI.run(["generate", "tests", "--endpoint", endpoint.url, "--model", "fake", "-n", "2", "--format", "json", "--db", db])
        XCTAssertEqual(tests.status, 0, tests.stderr)
        XCTAssertEqual(try JSON.parse(tests.stdout)["added"]?["tests"], .int(4))
        let again = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "-n", "3", "--db", db])
        XCTAssertTrue(again.stdout.contains("nothing to request: all 2 problems in scope have 3 sample(s) from fake"), again.stdout)
        XCTAssertEqual(try count("SELECT count(*) FROM solutions"), 6)
        XCTAssertEqual(try count("SELECT count(*) FROM tests WHERE kind = 'generated'"), 4)
        XCTAssertEqual(try rows("SELECT status FROM runs WHERE command = 'generate'").map { $0[0] }, Array(repeating: .text("ok"), count: 3))
        // The generated rows go straight on to execute.
        let execute = try CLI.run(["execute", "--format", "json", "--db", db])
        XCTAssertEqual(execute.status, 0, execute.stderr)
        XCTAssertEqual(try JSON.parse(execute.stdout)["statuses"]?["pass"], .int(12), "3 solutions x 2 tests x 2 problems")
    }

    func testTheKeyComesFromTheNamedVariableAndIsNeverStoredOrPrinted() throws {
        let key = "sk-cli-5f3a9c0e7b-DO-NOT-STORE"
        let endpoint = try server([("plan", .array([.object([("echo_auth", true)])]))])
        try addProblems(2)
        let result = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "-n", "1", "--concurrency", "1",
                                  "--api-key-env", "MY_LLM_KEY", "--db", db], environment: ["MY_LLM_KEY": key])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(endpoint.requests().map { $0["authorization"]?.stringValue }, ["Bearer \(key)", "Bearer \(key)"])
        XCTAssertFalse(result.stdout.contains(key) || result.stderr.contains(key), "the key was printed")
        XCTAssertTrue(result.stderr.contains("[redacted]"), "the echoed key is redacted in the error shown: \(result.stderr)")
        XCTAssertEqual(try count("SELECT count(*) FROM runs WHERE parameters LIKE '%MY_LLM_KEY%' AND parameters NOT LIKE '%DO-NOT-STORE%'"), 1)
        _ = try CLI.run(["query", "PRAGMA wal_checkpoint(TRUNCATE)", "--write", "--db", db])
        for suffix in ["", "-wal", "-shm"] {
            if let bytes = FileManager.default.contents(atPath: db + suffix) {
                XCTAssertNil(bytes.range(of: Data("DO-NOT-STORE".utf8)), "the key is in \(db + suffix)")
            }
        }
        let unset = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "--api-key-env", "NOT_SET_ANYWHERE", "--db", db])
        XCTAssertEqual(unset.status, 1)
        XCTAssertTrue(unset.stderr.contains("NOT_SET_ANYWHERE (named by --api-key-env) is not set"), unset.stderr)
        let literal = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "--api-key-env", "sk-abc-123", "--db", db])
        XCTAssertEqual(literal.status, 2, "a key given as the variable's name is refused before anything is recorded")
        XCTAssertEqual(try count("SELECT count(*) FROM runs WHERE argv LIKE '%sk-abc-123%'"), 0)
    }

    func testKilledWithSIGKILLThenRestartedHasNoDuplicatesAndNoGaps() throws {
        let endpoint = try server([("default", .object([("delay", 0.25)]))])
        try addProblems(6)
        let arguments = ["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "-n", "2", "--max-n", "1",
                         "--concurrency", "2", "--quiet", "--db", db]
        let process = try background(arguments)
        try waitFor("answers to be stored") { try count("SELECT count(*) FROM generations WHERE status = 'ok'") >= 3 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let stored = try count("SELECT count(*) FROM generation_outputs")
        XCTAssertLessThan(stored, 12, "the run ended before it could be killed: make it longer")
        let resumed = try CLI.run(arguments.filter { $0 != "--quiet" } + ["--format", "json"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let report = try JSON.parse(resumed.stdout)
        XCTAssertEqual(report["choices"]?.intValue, Int64(12 - stored), "only the missing samples are asked for")
        XCTAssertEqual(try rows("""
            SELECT g.problem_id, count(*) FROM generation_outputs o JOIN generations g ON g.id = o.generation_id
            GROUP BY g.problem_id ORDER BY g.problem_id
            """), (1...6).map { [.integer(Int64($0)), .integer(2)] }, "exactly two samples per problem")
        XCTAssertEqual(try count("SELECT count(*) FROM generations WHERE status = 'pending'"), 0)
        XCTAssertEqual(try count("SELECT sum(sample_count) FROM solutions"), 12)
        XCTAssertEqual(try count("SELECT count(*) FROM solution_sources"), 12)
        XCTAssertEqual(try count("SELECT count(*) FROM (SELECT stage, problem_id, slot FROM generations GROUP BY 1, 2, 3 HAVING count(*) > 1)"), 0)
        XCTAssertEqual(try rows("SELECT status FROM runs WHERE command = 'generate' ORDER BY id").map { $0[0] }, [.text("interrupted"), .text("ok")])
        if try count("SELECT count(*) FROM generations WHERE status = 'failed'") > 0 {
            XCTAssertEqual(try count("SELECT count(*) FROM generations WHERE status = 'failed' AND error LIKE '%ended before it arrived%'"),
                           try count("SELECT count(*) FROM generations WHERE status = 'failed'"), "requests cut by the kill say so")
        }
    }

    func testCtrlCStopsCleanlyRecordingRequestsInFlight() throws {
        let endpoint = try server([("default", .object([("delay", 3)]))])
        try addProblems(4)
        let process = try background(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "-n", "1",
                                      "--concurrency", "2", "--db", db])
        try waitFor("requests to be sent") { try count("SELECT count(*) FROM generations WHERE status = 'pending'") == 2 }
        usleep(300_000)
        let sent = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertLessThan(Date().timeIntervalSince(sent), 2.5, "requests in flight are cancelled, not waited for")
        XCTAssertEqual(try rows("SELECT status, error LIKE '%interrupted%' FROM generations").map { $0 }, Array(repeating: [.text("failed"), .integer(1)], count: 2))
        XCTAssertEqual(try rows("SELECT status FROM runs WHERE command = 'generate'").map { $0[0] }, [.text("interrupted")])
    }

    func testDryRunTemplatesAndUsageErrors() throws {
        let endpoint = try server()
        try addProblems(3)
        let dry = try CLI.run(["generate", "tests", "--endpoint", endpoint.url, "--model", "fake", "-n", "4", "--dry-run", "--db", db])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("samples to request") && dry.stdout.contains("12"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("nothing was sent or changed"), dry.stdout)
        XCTAssertEqual(endpoint.requests().count, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM runs WHERE command = 'generate'"), 0)

        let builtin = try CLI.run(["generate", "solutions", "--api", "completion", "--print-template"])
        XCTAssertEqual(builtin.status, 0, builtin.stderr)
        XCTAssertEqual(builtin.stdout, "{{prompt}}\n")
        let chat = try CLI.run(["generate", "tests", "--print-template"])
        XCTAssertTrue(chat.stdout.hasPrefix("--- system ---\n"), chat.stdout)

        let template = folder.appendingPathComponent("mine.txt")
        try Data("--- user ---\nImplement {{entry_point}}:\n{{prompt}}\n".utf8).write(to: template)
        let custom = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "-n", "1", "--limit", "1",
                                  "--template", template.path, "--db", db])
        XCTAssertEqual(custom.status, 0, custom.stderr)
        XCTAssertEqual(endpoint.requests().first?["body"]?["messages"], .array([.object([("role", "user"), ("content", "Implement add_0:\ndef add_0(a, b):\n    \"\"\"Return a + b.\"\"\"\n")])]))
        XCTAssertEqual(try rows("SELECT template_name LIKE 'file:%mine.txt', template FROM generations").first,
                       [.integer(1), .text("--- user ---\nImplement {{entry_point}}:\n{{prompt}}\n")])

        try Data("Solve {{problem}}\n".utf8).write(to: template)
        let bad = try CLI.run(["generate", "solutions", "--endpoint", endpoint.url, "--model", "fake", "--template", template.path, "--db", db])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("unknown placeholder {{problem}}"), bad.stderr)

        let noEndpoint = try CLI.run(["generate", "solutions", "--model", "fake", "--db", db], environment: ["OPENAI_BASE_URL": ""])
        XCTAssertEqual(noEndpoint.status, 2)
        XCTAssertTrue(noEndpoint.stderr.contains("--endpoint is required"), noEndpoint.stderr)
        let badShard = try CLI.run(["generate", "tests", "--endpoint", endpoint.url, "--model", "m", "--shard", "3/3", "--db", db])
        XCTAssertEqual(badShard.status, 2)
        let unknown = try CLI.run(["generate", "tests", "--endpoint", endpoint.url, "--model", "m", "--problem", "nope", "--db", db])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no problem \"nope\""), unknown.stderr)
    }
}
