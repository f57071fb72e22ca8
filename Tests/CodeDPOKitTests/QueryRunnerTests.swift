import XCTest

@testable import CodeDPOKit

final class QueryRunnerTests: XCTestCase {
    func database() throws -> Database {
        let db = try Database(path: ":memory:")
        try db.execute("""
            CREATE TABLE t (id INTEGER, name TEXT, score REAL);
            INSERT INTO t VALUES (1, 'plain', 0.5), (2, 'has, comma and "quote"', NULL), (3, 'two
            lines', 2.0);
            """)
        return db
    }

    func render(_ format: OutputFormat, _ sql: String = "SELECT id, name, score FROM t ORDER BY id") throws -> String {
        let sink = StringOutput()
        try QueryRunner(db: try database(), allowWrites: false).run(sql, parameters: [:], format: format, sink: sink)
        return sink.text
    }

    func testCSVQuotesFieldsThatNeedIt() throws {
        XCTAssertEqual(try render(.csv), "id,name,score\r\n1,plain,0.5\r\n2,\"has, comma and \"\"quote\"\"\",\r\n3,\"two\nlines\",2.0\r\n")
    }

    func testJSONKeepsTypesAndNulls() throws {
        let text = try render(.json)
        let parsed = try JSON.parse(text)
        XCTAssertEqual(parsed.arrayValue?.count, 3)
        XCTAssertEqual(parsed.arrayValue?[1]["score"], .null)
        XCTAssertEqual(parsed.arrayValue?[0]["id"], .int(1))
        XCTAssertEqual(parsed.arrayValue?[2]["name"], .string("two\nlines"))
        XCTAssertEqual(try render(.json, "SELECT * FROM t WHERE id > 10"), "[]\n")
    }

    func testJSONLinesIsOneObjectPerLine() throws {
        let lines = try render(.jsonl).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(String(lines[0]), #"{"id":1,"name":"plain","score":0.5}"#)
    }

    func testTableAlignsNumbersRightAndShowsNewlines() throws {
        let text = try render(.table)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "id  name                    score")
        XCTAssertEqual(lines[2], " 1  plain" + String(repeating: " ", count: 21) + "0.5")
        XCTAssertEqual(lines[4], " 3  two⏎lines" + String(repeating: " ", count: 17) + "2.0")
        XCTAssertEqual(try render(.table, "SELECT * FROM t WHERE id > 10").split(separator: "\n").last, "(no rows)")
    }

    func testWritesAreRefusedUnlessAllowed() throws {
        let db = try database()
        let sink = StringOutput()
        XCTAssertThrowsMessage(
            try QueryRunner(db: db, allowWrites: false).run("SELECT 1; DELETE FROM t", parameters: [:], format: .csv, sink: sink),
            contains: ["changes data", "--write"])
        XCTAssertEqual(sink.text, "", "nothing runs when any statement is refused")
        XCTAssertEqual(try db.int("SELECT count(*) FROM t"), 3)
        let result = try QueryRunner(db: db, allowWrites: true).run("DELETE FROM t WHERE id < 3", parameters: [:], format: .csv, sink: sink)
        XCTAssertEqual(result.changes, 2)
    }

    func testNamedParametersAreTypedAndChecked() throws {
        let parameters = try QueryRunner.parameters(["id=2", ":label=007", "x=1.5"])
        XCTAssertEqual(parameters["id"], .integer(2))
        XCTAssertEqual(parameters["label"], .text("007"), "text that only looks numeric stays text")
        XCTAssertEqual(parameters["x"], .text("1.5"))
        XCTAssertThrowsMessage(try QueryRunner.parameters(["novalue"]), contains: ["NAME=VALUE"])
        let sink = StringOutput()
        try QueryRunner(db: try database(), allowWrites: false)
            .run("SELECT name FROM t WHERE id = :id", parameters: ["id": .integer(2)], format: .csv, sink: sink)
        XCTAssertEqual(sink.text, "name\r\n\"has, comma and \"\"quote\"\"\"\r\n")
        XCTAssertThrowsMessage(
            try QueryRunner(db: try database(), allowWrites: false).run("SELECT :a", parameters: [:], format: .csv, sink: sink),
            contains: ["no value given for parameter :a"])
    }

    func testBadSQLReportsSQLitesMessage() throws {
        XCTAssertThrowsMessage(try render(.table, "SELEC 1"), contains: ["near \"SELEC\": syntax error"])
        XCTAssertThrowsMessage(try render(.table, "SELECT nope FROM t"), contains: ["no such column: nope"])
    }

    func testStatementsSplitOnSemicolonsOutsideStrings() {
        XCTAssertEqual(QueryRunner.statements("SELECT ';'; SELECT 2;\n-- done"), ["SELECT ';';", "SELECT 2;", "-- done"])
    }
}
