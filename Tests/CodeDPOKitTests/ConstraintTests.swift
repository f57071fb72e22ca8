import XCTest

@testable import CodeDPOKit

/// The schema refuses bad rows itself, with SQLite's message naming what was wrong.
final class ConstraintTests: XCTestCase {
    var db: Database!
    var runID: Int64 = 0
    var solutionID: Int64 = 0
    var testID: Int64 = 0
    var configID: Int64 = 0

    override func setUpWithError() throws {
        db = try migratedDatabase(self)
        runID = try RunLog(db).start(command: "test", argv: ["test"])
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES ('P/1', 'h1', 'def f(): pass', 'f', ?)", runID)
        try db.run("INSERT INTO solutions (problem_id, content_hash, code, run_id) VALUES (1, 's1', 'def f(): return 1', ?)", runID)
        solutionID = db.lastInsertRowID
        try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, run_id) VALUES (1, 'generated', 't1', 'assert f() == 1', ?)", runID)
        testID = db.lastInsertRowID
        try db.run("""
            INSERT INTO execution_configs (content_hash, interpreter, interpreter_version, isolation, timeout_s,
                load_timeout_s, output_limit_bytes, parameters, run_id)
            VALUES ('c1', '/usr/bin/python3', '3.11', 'process', 1.0, 5.0, 2048, '{}', ?)
            """, runID)
        configID = db.lastInsertRowID
    }

    func insertExecution(status: String, solution: Int64? = nil, test: Int64? = nil) throws {
        try db.run("INSERT INTO executions (config_id, solution_id, test_id, status, run_id) VALUES (?, ?, ?, ?, ?)",
                   configID, solution ?? solutionID, test ?? testID, status, runID)
    }

    func testBadStatusIsRejected() throws {
        XCTAssertThrowsMessage(try insertExecution(status: "passed"),
                               contains: ["CHECK constraint failed", "status IN"])
        XCTAssertNoThrow(try insertExecution(status: "pass"))
    }

    func testOneVerdictPerConfigSolutionTest() throws {
        try insertExecution(status: "pass")
        XCTAssertThrowsMessage(try insertExecution(status: "fail"),
                               contains: ["UNIQUE constraint failed: executions.config_id, executions.solution_id, executions.test_id"])
    }

    func testDuplicateContentHashIsRejected() throws {
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO solutions (problem_id, content_hash, code, run_id) VALUES (1, 's1', 'other text', ?)", runID),
            contains: ["UNIQUE constraint failed: solutions.problem_id, solutions.content_hash"])
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES ('P/2', 'h1', 'x', ?)", runID),
            contains: ["UNIQUE constraint failed: problems.content_hash"])
    }

    func testOrphanForeignKeyIsRejected() throws {
        XCTAssertThrowsMessage(try insertExecution(status: "pass", solution: 999),
                               contains: ["FOREIGN KEY constraint failed"])
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO solutions (problem_id, content_hash, code, run_id) VALUES (42, 'x', 'y', ?)", runID),
            contains: ["FOREIGN KEY constraint failed"])
    }

    func testScoreRowsNameExactlyOneOfSolutionOrTest() throws {
        try db.run("INSERT INTO score_runs (run_id, strategy, config_id) VALUES (?, 'self-validation', ?)", runID, configID)
        let scoreRun = db.lastInsertRowID
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO scores VALUES (?, 0, ?, ?, 1.0)", scoreRun, solutionID, testID),
            contains: ["CHECK constraint failed"])
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO scores VALUES (?, 0, NULL, NULL, 1.0)", scoreRun),
            contains: ["CHECK constraint failed"])
        try db.run("INSERT INTO scores VALUES (?, 0, ?, NULL, 1.0)", scoreRun, solutionID)
        try db.run("INSERT INTO scores VALUES (?, 0, NULL, ?, 1.0)", scoreRun, testID)
        XCTAssertThrowsMessage(try db.run("INSERT INTO scores VALUES (?, 0, ?, NULL, 2.0)", scoreRun, solutionID),
                               contains: ["UNIQUE constraint failed"])
    }

    func testPairCannotPreferASolutionToItself() throws {
        try db.run("INSERT INTO score_runs (run_id, strategy, config_id) VALUES (?, 'random', ?)", runID, configID)
        try db.run("INSERT INTO pair_sets (name, run_id, score_run_id, policy) VALUES ('p', ?, 1, '{}')", runID)
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO pairs (pair_set_id, problem_id, kind, chosen_solution_id, rejected_solution_id) VALUES (1, 1, 'correctness', ?, ?)", solutionID, solutionID),
            contains: ["CHECK constraint failed"])
    }

    func testJSONColumnsMustHoldJSON() throws {
        XCTAssertThrowsMessage(
            try db.run("INSERT INTO runs (command, argv, tool_version) VALUES ('x', 'not json', '0')"),
            contains: ["CHECK constraint failed"])
    }

    func testViewsAnswerTheCommonQuestions() throws {
        try insertExecution(status: "pass")
        let matrix = try db.rows("SELECT problem_id, solution_id, test_id, status, passed FROM pass_matrix")
        XCTAssertEqual(matrix.map(\.values), [[.integer(1), .integer(solutionID), .integer(testID), .text("pass"), .integer(1)]])
        let summary = try XCTUnwrap(try db.rows("SELECT solutions, generated_tests, ground_truth_tests FROM problem_summary").first)
        XCTAssertEqual(summary.values, [.integer(1), .integer(1), .integer(0)])
        XCTAssertEqual(try db.int("SELECT count(*) FROM pending_executions"), 0)
        try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, run_id) VALUES (1, 'generated', 't2', 'assert f() == 2', ?)", runID)
        XCTAssertEqual(try db.int("SELECT count(*) FROM pending_executions"), 1)
    }
}
