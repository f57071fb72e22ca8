import XCTest

@testable import CodeDPOKit

final class MigrationTests: XCTestCase {
    func testBundledMigrationsAreNumberedInOrderFromOne() {
        let versions = Migration.bundled.map(\.version)
        XCTAssertFalse(versions.isEmpty)
        XCTAssertEqual(versions, Array(1...versions.count), "migrations must be numbered 1, 2, 3, ... without gaps")
        XCTAssertTrue(Migration.bundled[0].sql.contains("CREATE TABLE executions"))
    }

    func testFreshDatabaseGetsEveryMigrationOnce() throws {
        let path = temporaryDatabasePath(self)
        let (db, applied) = try Workspace.initialize(path: path)
        XCTAssertEqual(applied.map(\.version), Migration.bundled.map(\.version))
        let recorded = try Migrator().applied(in: db)
        XCTAssertEqual(recorded.map(\.checksum), Migration.bundled.map(\.checksum))
        XCTAssertEqual(try db.int("PRAGMA user_version"), Migration.bundled.last!.version)
        XCTAssertEqual(try db.int("PRAGMA application_id"), Int(Migrator.applicationID))

        // Running again applies nothing and changes nothing.
        let (again, appliedAgain) = try Workspace.initialize(path: path)
        XCTAssertEqual(appliedAgain, [])
        XCTAssertEqual(try again.int("SELECT count(*) FROM schema_migrations"), Migration.bundled.count)
    }

    func testPendingMigrationsApplyInOrderEachInOneTransaction() throws {
        let path = temporaryDatabasePath(self)
        let first = Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x INTEGER);")
        let second = Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (y INTEGER REFERENCES a (x));")
        let broken = Migration(version: 3, name: "0003_broken.sql", sql: "CREATE TABLE c (z INTEGER); CREATE TABLE c (w);")
        let db = try Database(path: path)
        try Migrator(migrations: [first]).migrate(db)
        XCTAssertThrowsMessage(try Migrator(migrations: [first, second, broken]).migrate(db),
                               contains: ["migration 0003_broken.sql failed", "table c already exists"])
        // 2 went in; 3 rolled back whole (its first statement too) and is still pending.
        XCTAssertTrue(try db.tableExists("b"))
        XCTAssertFalse(try db.tableExists("c"))
        XCTAssertEqual(try Migrator(migrations: [first, second, broken]).pending(in: db).map(\.version), [3])
    }

    func testEditedAppliedMigrationIsRefused() throws {
        let path = temporaryDatabasePath(self)
        let original = Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x INTEGER);")
        try Migrator(migrations: [original]).migrate(try Database(path: path))
        let edited = Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x INTEGER, y TEXT);")
        let db = try Database(path: path)
        XCTAssertThrowsMessage(try Migrator(migrations: [edited]).migrate(db),
                               contains: ["migration 1 (0001_a.sql) was edited after it was applied", "add a new migration"])
        XCTAssertThrowsMessage(try Workspace.openForReading(path: path, migrator: Migrator(migrations: [edited])),
                               contains: ["was edited"])
    }

    func testDatabaseFromANewerVersionIsRefused() throws {
        let path = temporaryDatabasePath(self)
        let one = Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x INTEGER);")
        let two = Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (x INTEGER);")
        try Migrator(migrations: [one, two]).migrate(try Database(path: path))
        for open in [{ try Workspace.openForReading(path: path, migrator: Migrator(migrations: [one])) },
                     { try Workspace.openForWriting(path: path, migrator: Migrator(migrations: [one])) }] {
            XCTAssertThrowsMessage(try open(), contains: ["was made by a newer codedpo", "migration 2", "Upgrade codedpo"])
        }
    }

    func testReadingRefusesPendingMigrationsAndWritingAppliesThem() throws {
        let path = temporaryDatabasePath(self)
        let one = Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x INTEGER);")
        let two = Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (x INTEGER);")
        try Migrator(migrations: [one]).migrate(try Database(path: path))
        XCTAssertThrowsMessage(try Workspace.openForReading(path: path, migrator: Migrator(migrations: [one, two])),
                               contains: ["needs 1 schema migration", "codedpo migrate"])
        var notices: [String] = []
        let db = try Workspace.openForWriting(path: path, migrator: Migrator(migrations: [one, two])) { notices.append($0) }
        XCTAssertTrue(try db.tableExists("b"))
        XCTAssertEqual(notices.count, 1)
    }

    func testForeignSQLiteFileIsRefused() throws {
        let path = temporaryDatabasePath(self)
        try Database(path: path).execute("CREATE TABLE mine (x)")
        XCTAssertThrowsMessage(try Workspace.openForWriting(path: path), contains: ["is not a codedpo database"])
        let other = temporaryDatabasePath(self)
        try Database(path: other).execute("PRAGMA application_id = 42")
        XCTAssertThrowsMessage(try Workspace.initialize(path: other), contains: ["is not a codedpo database", "application_id is 42"])
    }
}
