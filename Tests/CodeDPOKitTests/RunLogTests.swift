import XCTest

@testable import CodeDPOKit

final class RunLogTests: XCTestCase {
    func testSuccessfulRunIsRecordedWithParametersAndSummary() throws {
        let db = try migratedDatabase(self)
        let value = try RunLog(db).record(command: "import", argv: ["codedpo", "import", "x.jsonl"],
                                          parameters: ["format": "humaneval"], summary: { (added: Int) in .object([("added", .int(Int64(added)))]) }) { runID -> Int in
            XCTAssertGreaterThan(runID, 0)
            XCTAssertEqual(try db.scalar("SELECT status FROM runs WHERE id = ?", runID), .text("running"))
            return 7
        }
        XCTAssertEqual(value, 7)
        let row = try XCTUnwrap(try db.rows("SELECT command, argv, parameters, status, error, summary, tool_version, finished_at IS NOT NULL FROM runs").first)
        XCTAssertEqual(row.values, [.text("import"), .text(#"["codedpo","import","x.jsonl"]"#), .text(#"{"format":"humaneval"}"#),
                                    .text("ok"), .null, .text(#"{"added":7}"#), .text(CodeDPO.version), .integer(1)])
    }

    func testFailedRunIsRecordedWithItsErrorAndItsWorkRolledBack() throws {
        let db = try migratedDatabase(self)
        struct Broken: Error, CustomStringConvertible { var description: String { "line 3: bad input" } }
        XCTAssertThrowsError(try RunLog(db).record(command: "import", argv: ["codedpo"]) { runID in
            try db.transaction {
                try db.run("INSERT INTO seeds (content_hash, content, language, run_id) VALUES ('h', 'x', 'python', ?)", runID)
                throw Broken()
            }
        })
        XCTAssertEqual(try db.rows("SELECT status, error FROM runs").first?.values, [.text("failed"), .text("line 3: bad input")])
        XCTAssertEqual(try db.int("SELECT count(*) FROM seeds"), 0)
    }

    func testRunOfADeadProcessIsMarkedInterrupted() throws {
        let db = try migratedDatabase(self)
        // A pid that cannot be alive: above the kernel's pid_max.
        try db.run("INSERT INTO runs (command, argv, tool_version, host, pid) VALUES ('execute', '[]', '0', ?, 99999999)",
                   ProcessInfo.processInfo.hostName)
        _ = try RunLog(db).start(command: "stats", argv: [])
        XCTAssertEqual(try db.scalar("SELECT status FROM runs WHERE id = 1"), .text("interrupted"))
        XCTAssertEqual(try db.scalar("SELECT status FROM runs WHERE id = 2"), .text("running"))
    }
}
