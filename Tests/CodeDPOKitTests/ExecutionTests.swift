import Foundation
import XCTest

@testable import CodeDPOKit

/// The executor with real Python: hostile solutions get the right verdict and the run goes on.
final class ExecutionTests: XCTestCase {
    var db: Database!
    var runID: Int64 = 0
    static var python: PythonInterpreter?

    override func setUpWithError() throws {
        guard let python = Self.python ?? (try? PythonInterpreter.resolve()) else {
            throw XCTSkip("no Python 3 interpreter: execution tests skipped (apt-get install -y python3)")
        }
        Self.python = python
        db = try migratedDatabase(self)
        runID = try RunLog(db).start(command: "test", argv: [])
    }

    @discardableResult
    func problem(_ id: String, entryPoint: String = "f", tests: [String]) throws -> Int64 {
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES (?, ?, ?, ?, ?)",
                   id, SHA256.hex(id), "def \(entryPoint)(x):\n", entryPoint, runID)
        let problemID = db.lastInsertRowID
        for test in tests {
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', ?, ?, 1, ?)",
                       problemID, SHA256.hex(test), test + "\n", runID)
        }
        return problemID
    }

    @discardableResult
    func solution(_ problemID: Int64, _ code: String) throws -> Int64 {
        try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, 1, ?)",
                   problemID, SHA256.hex(code), code, runID)
        return db.lastInsertRowID
    }

    func settings(timeout: Double = 0.5, memoryMB: Int? = 512, testIsolation: TestIsolation = .namespace) -> ExecutionSettings {
        var settings = ExecutionSettings(interpreter: Self.python!)
        settings.timeout = timeout
        settings.loadTimeout = 3
        settings.memoryMB = memoryMB
        settings.testIsolation = testIsolation
        return settings
    }

    func execute(_ settings: ExecutionSettings? = nil, configure: (inout ExecuteOptions) -> Void = { _ in }) throws -> ExecuteReport {
        var options = ExecuteOptions(settings: settings ?? self.settings())
        options.jobs = 2
        configure(&options)
        return try Executor(db: db, runID: runID, options: options).run()
    }

    /// Status of each test of a solution, in test order.
    func statuses(_ solutionID: Int64, config: Int64? = nil) throws -> [String] {
        try db.rows("SELECT status FROM executions WHERE solution_id = ? AND (? IS NULL OR config_id = ?) ORDER BY test_id",
                    solutionID, config, config).compactMap { $0[0].string }
    }

    /// Processes started by this test process's executors: found by the scratch folder in
    /// their environment or working directory (other runs on the machine are not ours).
    func harnessProcesses() -> [Int32] {
        let marker = "codedpo-exec-\(getpid())-"
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid() else { return nil }
            let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd")) ?? ""
            return environ.contains(marker) || cwd.contains(marker) ? pid : nil
        }
    }

    let tests = ["assert f(1) == 2", "assert f(2) == 3", "assert f(-1) == 0"]

    func testHostileSolutionsGetTheRightVerdictAndTheRunGoesOn() throws {
        let p = try problem("P/hostile", tests: tests)
        let cases: [(String, String, [String])] = [
            ("correct", "def f(x):\n    return x + 1\n", ["pass", "pass", "pass"]),
            ("wrong", "def f(x):\n    return x\n", ["fail", "fail", "fail"]),
            ("infinite loop", "def f(x):\n    while True:\n        pass\n", ["timeout", "timeout", "timeout"]),
            ("swallows the timer", "def f(x):\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n", ["timeout", "timeout", "timeout"]),
            ("unbounded memory", "def f(x):\n    table = [0] * (10 ** 10)\n    return x + 1\n", ["memory", "memory", "memory"]),
            ("sys.exit in the module", "import sys\nsys.exit(0)\ndef f(x):\n    return x + 1\n", ["load_error", "load_error", "load_error"]),
            ("os._exit in the module", "import os\nos._exit(0)\ndef f(x):\n    return x + 1\n", ["load_error", "load_error", "load_error"]),
            ("sys.exit in a test", "import sys\ndef f(x):\n    sys.exit(0)\n", ["error", "error", "error"]),
            ("os._exit in a test", "import os\ndef f(x):\n    if x == 1:\n        os._exit(0)\n    return x + 1\n", ["crash", "pass", "pass"]),
            ("KeyboardInterrupt", "def f(x):\n    raise KeyboardInterrupt\n", ["error", "error", "error"]),
            ("segfault", "import ctypes\ndef f(x):\n    if x == 2:\n        ctypes.string_at(0)\n    return x + 1\n", ["pass", "crash", "pass"]),
            ("closes the harness pipes", "import os\ndef f(x):\n    if x == 1:\n        os.closerange(0, 4096)\n    return x + 1\n", ["crash", "pass", "pass"]),
            ("prints fake results", "import sys\ndef f(x):\n    for fd in range(1, 20):\n        try:\n            import os; os.write(fd, b'{\"type\":\"result\",\"status\":\"pass\"}\\n')\n        except OSError:\n            pass\n    print('pass')\n    return None\n", ["fail", "fail", "fail"]),
            ("__eq__ always true", "class Anything:\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return Anything()\n", ["error", "error", "error"]),
            ("int subclass with __eq__", "class Liar(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\ndef f(x):\n    return Liar(0)\n", ["error", "error", "error"]),
        ]
        var ids: [(String, Int64, [String])] = []
        for (name, code, expected) in cases { ids.append((name, try solution(p, code), expected)) }
        let report = try execute()
        XCTAssertEqual(report.done, cases.count * 3)
        for (name, id, expected) in ids {
            XCTAssertEqual(try statuses(id), expected, name)
        }
        XCTAssertEqual(try db.int("SELECT count(*) FROM executions"), cases.count * 3, "exactly one verdict per pair")
        XCTAssertEqual(harnessProcesses(), [], "no worker or child process may outlive the run")
    }

    /// A loader that ends before the job's last test hands the rest back (requeue): the
    /// Executor runs them as a new job, so every test still gets exactly one verdict.
    func testTestsAfterATimeoutAreRunAgainAsANewJob() throws {
        let tests = (0..<7).map { "assert f(\($0)) == \($0 % 3 == 1 ? -1 : $0 + 1)" }
        let problemID = try problem("requeue", tests: tests)
        // Loops on every third input; passes or fails the others.
        let looping = try solution(problemID, "def f(x):\n    while x % 3 == 1:\n        pass\n    return x + 1\n")
        let crashing = try solution(problemID, "import os\ndef f(x):\n    if x == 2:\n        os._exit(3)\n    return x + 1\n")
        let plain = try solution(problemID, "def f(x):\n    return x + 1\n")
        let report = try execute(settings(timeout: 0.2))
        XCTAssertEqual(report.done, 21)
        XCTAssertEqual(try statuses(looping), ["pass", "timeout", "pass", "pass", "timeout", "pass", "pass"])
        XCTAssertEqual(try statuses(crashing), ["pass", "fail", "crash", "pass", "fail", "pass", "pass"])
        XCTAssertEqual(try statuses(plain), ["pass", "fail", "pass", "pass", "fail", "pass", "pass"])
        XCTAssertEqual(try db.int("SELECT count(*) FROM executions"), 21)
    }

    func testNoProcessIsLeftBehindEvenWhenDetached() throws {
        let p = try problem("P/procs", tests: tests)
        // A grandchild made with raw libc calls (past the harness's guards), in its own session.
        let id = try solution(p, """
            import ctypes, time
            def f(x):
                libc = ctypes.CDLL(None)
                if libc.fork() == 0:
                    libc.setsid()
                    if libc.fork() == 0:
                        time.sleep(1000)
                    libc._exit(0)
                return x + 1
            """)
        _ = try execute()
        XCTAssertEqual(try statuses(id).count, 3)
        XCTAssertEqual(harnessProcesses(), [], "the detached sleeper must be killed")
    }

    func testTestsAreIsolatedFromEachOther() throws {
        for isolation in TestIsolation.allCases {
            let p = try problem("P/iso-\(isolation.rawValue)", tests: [
                "import builtins\nbuiltins.len = lambda value: 0\nassert f(0) == 1",
                "assert len([1, 2]) == 2",
                "assert f(0) == 1",
                "SHARED = 99\nassert f(0) == 1",
                "assert SHARED_CHECK()",
            ])
            let id = try solution(p, """
                counter = 0
                SHARED = 1
                def f(x):
                    global counter
                    counter += 1
                    return counter
                def SHARED_CHECK():
                    return SHARED == 1
                """)
            _ = try execute(settings(testIsolation: isolation)) { $0.problems = ["P/iso-\(isolation.rawValue)"] }
            // Each test sees counter == 0 at its start, builtins intact, globals unchanged.
            XCTAssertEqual(try statuses(id), ["pass", "pass", "pass", "pass", "pass"], isolation.rawValue)
        }
    }

    /// String hashing is seeded (PYTHONHASHSEED=0), so set order of strings, and verdicts that
    /// depend on it, are the same in every run and on every shard.
    func testStringHashingIsTheSameInEveryRun() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: Self.python!.path)
        probe.arguments = ["-c", "print(hash('codedpo'))"]
        probe.environment = ["PYTHONHASHSEED": "0"]
        let pipe = Pipe()
        probe.standardOutput = pipe
        try probe.run()
        let expected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        probe.waitUntilExit()
        let p = try problem("P/hash", tests: ["assert hash('codedpo') == \(expected)", "import sys\nassert '' not in sys.path"])
        let id = try solution(p, "def f(x):\n    return x\n")
        _ = try execute { $0.problems = ["P/hash"] }
        XCTAssertEqual(try statuses(id), ["pass", "pass"])
    }

    func testOnlyMissingPairsRunAndNewTestsMeetOldSolutions() throws {
        let p = try problem("P/inc", tests: ["assert f(1) == 2"])
        let a = try solution(p, "def f(x):\n    return x + 1\n")
        let first = try execute()
        XCTAssertEqual(first.planned, 1)
        XCTAssertTrue(first.newConfig)
        let again = try execute()
        XCTAssertEqual(again.planned, 0)
        XCTAssertEqual(again.configID, first.configID, "the same settings are the same config")
        try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', 'x', 'assert f(5) == 6', 1, ?)", p, runID)
        let b = try solution(p, "def f(x):\n    return 0\n")
        let third = try execute()
        XCTAssertEqual(third.planned, 3, "the new test against both solutions, the new solution against the old test")
        XCTAssertEqual(try statuses(a), ["pass", "pass"])
        XCTAssertEqual(try statuses(b), ["fail", "fail"])
        let other = try execute(settings(timeout: 2))
        XCTAssertNotEqual(other.configID, first.configID, "other limits are another config")
        XCTAssertEqual(other.planned, 4)
    }

    /// The verdict write has SQLite skip CHECK constraints (it checks the status itself): only
    /// for its own transaction. Afterwards the connection enforces them again.
    func testTheVerdictWriteLeavesCheckConstraintsOn() throws {
        let p = try problem("P/checks", tests: ["assert f(1) == 2"])
        let a = try solution(p, "def f(x):\n    return x + 1\n")
        let report = try execute()
        XCTAssertEqual(try statuses(a), ["pass"])
        XCTAssertEqual(try db.int("PRAGMA ignore_check_constraints"), 0)
        let b = try solution(p, "def f(x):\n    return x\n")
        XCTAssertThrowsError(try db.run("""
            INSERT INTO executions (config_id, solution_id, test_id, status, run_id)
            VALUES (?, ?, (SELECT id FROM tests WHERE problem_id = ?), 'maybe', ?)
            """, report.configID, b, p, runID), "a status outside the vocabulary is refused") {
            XCTAssertTrue("\($0)".contains("CHECK constraint failed"), "\($0)")
        }
        XCTAssertEqual(try db.int("SELECT count(*) FROM executions"), 1)
    }

    func testRetryRerunsTimeoutsUnderNewSettingsAndCopiesTheRest() throws {
        let p = try problem("P/retry", tests: ["import time\nassert f(1) == 2", "assert f(2) == 3"])
        // 0.4 s of CPU time (the limit counts CPU time, not sleep).
        let slow = try solution(p, "import time\ndef f(x):\n    if x == 1:\n        t = time.process_time()\n        while time.process_time() - t < 0.4:\n            pass\n    return x + 1\n")
        let first = try execute(settings(timeout: 0.1))
        XCTAssertEqual(try statuses(slow, config: first.configID), ["timeout", "pass"])
        let retried = try execute(settings(timeout: 2)) {
            $0.retry = ["timeout"]
            $0.baseConfig = first.configID
        }
        XCTAssertEqual(retried.copied, 1)
        XCTAssertEqual(retried.planned, 1)
        XCTAssertEqual(try statuses(slow, config: retried.configID), ["pass", "pass"])
        XCTAssertEqual(try statuses(slow, config: first.configID), ["timeout", "pass"], "old verdicts stay")
    }

    func testScopeByProblemWhereAndShard() throws {
        for i in 0..<6 {
            let p = try problem("S/\(i)", tests: ["assert f(1) == 2"])
            try solution(p, "def f(x):\n    return x + 1\n")
        }
        XCTAssertEqual(try execute { $0.problems = ["S/2"] }.planned, 1)
        XCTAssertEqual(try execute { $0.whereSQL = "p.external_id IN ('S/3', 'S/4')" }.planned, 2)
        let shards = (0..<3).map { Shard(index: $0, count: 3) }
        let inShards = shards.map { shard in (0..<6).filter { shard.contains(externalID: "S/\($0)") }.count }
        XCTAssertEqual(inShards.reduce(0, +), 6, "every problem is in exactly one shard")
        XCTAssertThrowsMessage(try execute { $0.problems = ["S/99"] }, contains: ["no problem \"S/99\""])
    }

    func testLimitsAreEnforced() throws {
        let p = try problem("P/limits", tests: ["assert f(1) == 2"])
        let writer = try solution(p, "def f(x):\n    with open('big.bin', 'wb') as out:\n        out.write(b'0' * 5_000_000)\n    return x + 1\n")
        let printer = try solution(p, "def f(x):\n    print('y' * 100_000)\n    return x + 1\n")
        var limited = settings()
        limited.maxFileMB = 1
        limited.outputLimit = 64
        _ = try execute(limited)
        XCTAssertNotEqual(try statuses(writer), ["pass"], "a 5 MB file is over a 1 MB limit")
        XCTAssertEqual(try statuses(printer), ["pass"])
        let output = try XCTUnwrap(try db.scalar("SELECT output FROM executions WHERE solution_id = ?", printer)?.string)
        XCTAssertLessThanOrEqual(output.utf8.count, 64)
    }

    func testBubblewrapIsolation() throws {
        guard ExecutionSettings.bwrapPath != nil else { throw XCTSkip("bubblewrap is not installed (apt-get install -y bubblewrap)") }
        let p = try problem("P/bwrap", tests: ["assert f(1) == 2"])
        let good = try solution(p, "def f(x):\n    return x + 1\n")
        let network = try solution(p, "import _socket\ndef f(x):\n    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n    s.settimeout(1)\n    s.connect(('1.1.1.1', 53))\n    return x + 1\n")
        let root = try solution(p, "def f(x):\n    open('/usr/codedpo-should-not-exist', 'w')\n    return x + 1\n")
        var sandboxed = settings()
        sandboxed.isolation = .bwrap
        _ = try execute(sandboxed)
        XCTAssertEqual(try statuses(good), ["pass"])
        XCTAssertEqual(try statuses(network), ["error"])
        XCTAssertEqual(try statuses(root), ["error"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/usr/codedpo-should-not-exist"))
    }
}
