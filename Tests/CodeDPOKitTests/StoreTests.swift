import CSQLite
import XCTest

@testable import CodeDPOKit

final class StoreTests: XCTestCase {
    func testTypedBindingRoundTripsEveryStorageClass() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        try insert.bind(Int64.max, at: 1)
        try insert.bind(0.1, at: 2)
        try insert.bind("héllo\u{0}wörld 🦆", at: 3)
        try insert.bind([0, 255, 7] as [UInt8], at: 4)
        try insert.bindNull(at: 5)
        try insert.step()
        let row = try XCTUnwrap(try db.rows("SELECT i, r, s, b, n FROM t").first)
        XCTAssertEqual(row.values, [.integer(Int64.max), .real(0.1), .text("héllo\u{0}wörld 🦆"), .blob([0, 255, 7]), .null])
        XCTAssertEqual(row["s"], .text("héllo\u{0}wörld 🦆"))
    }

    func testEmptyStringIsTextNotNull() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (s TEXT)")
        try db.run("INSERT INTO t VALUES (?)", "")
        XCTAssertEqual(try db.scalar("SELECT typeof(s) FROM t"), .text("text"))
    }

    func testStatementIsReusableAcrossRows() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        try db.transaction {
            for i in 0..<100 { try insert.execute(i, "row \(i)") }
        }
        XCTAssertEqual(try db.int("SELECT count(*) FROM t"), 100)
        XCTAssertEqual(try db.scalar("SELECT b FROM t WHERE a = 42"), .text("row 42"))
    }

    func testErrorsCarrySQLiteMessageAndSQL() throws {
        let db = try Database(path: ":memory:")
        XCTAssertThrowsError(try db.prepare("SELECT * FROM missing_table")) { error in
            let error = error as! SQLiteError
            XCTAssertEqual(error.code, SQLITE_ERROR)
            XCTAssertEqual(error.message, "no such table: missing_table")
            XCTAssertEqual(error.sql, "SELECT * FROM missing_table")
            XCTAssertTrue(error.description.contains("in: SELECT * FROM missing_table"))
        }
    }

    func testPrepareRefusesTwoStatements() throws {
        let db = try Database(path: ":memory:")
        XCTAssertThrowsMessage(try db.prepare("SELECT 1; SELECT 2"), contains: ["more than one SQL statement"])
        XCTAssertNoThrow(try db.prepare("SELECT 1;  "))
    }

    func testTransactionCommitsOrRollsBack() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (a INTEGER)")
        try db.transaction { try db.run("INSERT INTO t VALUES (1)") }
        struct Boom: Error {}
        XCTAssertThrowsError(try db.transaction {
            try db.run("INSERT INTO t VALUES (2)")
            throw Boom()
        })
        XCTAssertEqual(try db.int("SELECT group_concat(a) FROM t") , 1)
        XCTAssertFalse(db.isInTransaction)
    }

    func testNestedTransactionsAreSavepoints() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (a INTEGER)")
        struct Inner: Error {}
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            // The inner failure undoes only the inner work; the outer goes on and commits.
            XCTAssertThrowsError(try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Inner()
            })
            try db.transaction { try db.run("INSERT INTO t VALUES (3)") }
        }
        XCTAssertEqual(try db.rows("SELECT a FROM t ORDER BY a").map { $0[0] }, [.integer(1), .integer(3)])
    }

    func testReadOnlyModeRefusesWrites() throws {
        let path = temporaryDatabasePath(self)
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t (a INTEGER)")
        }
        let reader = try Database(path: path, mode: .readOnly)
        XCTAssertThrowsError(try reader.run("INSERT INTO t VALUES (1)")) { error in
            XCTAssertTrue((error as? SQLiteError)?.isReadOnly == true, "\(error)")
        }
        XCTAssertEqual(try reader.int("SELECT count(*) FROM t"), 0)
    }

    func testWritableDatabaseUsesWALAndForeignKeys() throws {
        let db = try Database(path: temporaryDatabasePath(self))
        XCTAssertEqual(try db.scalar("PRAGMA journal_mode"), .text("wal"))
        XCTAssertEqual(try db.int("PRAGMA foreign_keys"), 1)
    }

    func testNamedParametersBindAndReportMissingOrExtra() throws {
        let db = try Database(path: ":memory:")
        let statement = try db.prepare("SELECT :a + @b")
        try statement.bind(named: ["a": 2, "b": 3])
        XCTAssertTrue(try statement.step())
        XCTAssertEqual(statement.int(at: 0), 5)
        statement.reset()
        XCTAssertThrowsMessage(try statement.bind(named: ["a": 2]), contains: ["no value given for parameter @b"])
        XCTAssertThrowsMessage(try statement.bind(named: ["a": 1, "b": 2, "c": 3]), contains: ["'c' is not used"])
    }

    func testOpeningAMissingDatabaseSaysHowToCreateOne() throws {
        let path = temporaryDatabasePath(self, name: "absent.db")
        XCTAssertThrowsMessage(try Workspace.openForReading(path: path),
                               contains: ["no database at \(path)", "codedpo init"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "reading must not create the file")
    }
}
