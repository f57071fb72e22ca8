import CodeDPOKit
import XCTest

final class FoundationCLITests: XCTestCase {
    var folder: URL!
    var db: String { folder.appendingPathComponent("work.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder(self)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: CLI.binary.path), "build codedpo first: \(CLI.binary.path)")
    }

    func testInitCreatesThenLeavesAnUpToDateDatabaseAlone() throws {
        let first = try CLI.run(["init", "--db", db])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Created \(db): schema version \(Migrator().latestVersion)"), first.stdout)
        let second = try CLI.run(["init", "--db", db])
        XCTAssertEqual(second.status, 0)
        XCTAssertTrue(second.stdout.contains("already initialized"), second.stdout)
        let runs = try CLI.run(["query", "SELECT command, status FROM runs", "--format", "csv", "--db", db])
        XCTAssertEqual(runs.stdout, "command,status\r\ninit,ok\r\n")
    }

    func testDatabaseDefaultsToTheEnvironmentThenToCodedpoDB() throws {
        XCTAssertEqual(try CLI.run(["init"], environment: ["CODEDPO_DB": db]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: db))
        XCTAssertEqual(try CLI.run(["init"], directory: folder).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("codedpo.db").path))
    }

    func testQueryIsReadOnlyUnlessWriteIsGivenAndWritesAreRecorded() throws {
        _ = try CLI.run(["init", "--db", db])
        let refused = try CLI.run(["query", "DELETE FROM runs", "--db", db])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("--write"), refused.stderr)
        XCTAssertEqual(try CLI.run(["query", "SELECT count(*) AS n FROM runs", "--format", "csv", "--db", db]).stdout, "n\r\n1\r\n")

        let written = try CLI.run(["query", "UPDATE runs SET error = 'note' WHERE id = :id", "--param", "id=1", "--write", "--db", db])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertTrue(written.stderr.contains("1 row(s) changed"), written.stderr)
        let runs = try CLI.run(["runs", "--format", "json", "--db", db])
        let list = try JSON.parse(runs.stdout).arrayValue ?? []
        XCTAssertEqual(list.first?["command"], "query")
        XCTAssertEqual(list.first?["status"], "ok")
    }

    func testFailedWriteIsRecordedAsAFailedRunAndChangesNothing() throws {
        _ = try CLI.run(["init", "--db", db])
        let failed = try CLI.run(["query", "UPDATE runs SET error = 'x'; INSERT INTO runs (command) VALUES ('broken')", "--write", "--db", db])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("NOT NULL constraint failed: runs.argv"), failed.stderr)
        let rows = try CLI.run(["query", "SELECT command, status, error IS NOT NULL AS has_error FROM runs ORDER BY id", "--format", "jsonl", "--db", db])
        XCTAssertEqual(rows.stdout, """
            {"command":"init","status":"ok","has_error":0}
            {"command":"query","status":"failed","has_error":1}

            """)
    }

    func testEachOutputFormat() throws {
        _ = try CLI.run(["init", "--db", db])
        let sql = "SELECT 1 AS n, 'a,b' AS s, NULL AS z"
        XCTAssertEqual(try CLI.run(["query", sql, "--format", "csv", "--db", db]).stdout, "n,s,z\r\n1,\"a,b\",\r\n")
        XCTAssertEqual(try CLI.run(["query", sql, "--format", "jsonl", "--db", db]).stdout, "{\"n\":1,\"s\":\"a,b\",\"z\":null}\n")
        XCTAssertEqual(try CLI.run(["query", sql, "--format", "json", "--db", db]).stdout, "[\n{\"n\":1,\"s\":\"a,b\",\"z\":null}\n]\n")
        XCTAssertEqual(try CLI.run(["query", sql, "--db", db]).stdout, "n  s    z\n─  ───  ─\n1  a,b\n")
        XCTAssertEqual(try CLI.run(["query", "-", "--format", "csv", "--db", db], stdin: "SELECT 2 AS m").stdout, "m\r\n2\r\n")
    }

    func testBadSQLAndUsageErrorsHaveTheirExitCodes() throws {
        _ = try CLI.run(["init", "--db", db])
        let bad = try CLI.run(["query", "SELECT * FROM nowhere", "--db", db])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("no such table: nowhere"), bad.stderr)
        let usage = try CLI.run(["query", "--format", "yaml", "SELECT 1", "--db", db])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("yaml"), usage.stderr)
        let missing = try CLI.run(["stats", "--db", folder.appendingPathComponent("none.db").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("codedpo init"), missing.stderr)
    }

    func testStatsCountsTablesAndStatuses() throws {
        _ = try CLI.run(["init", "--db", db])
        let stats = try JSON.parse(try CLI.run(["stats", "--format", "json", "--db", db]).stdout)
        XCTAssertEqual(stats["tables"]?["runs"], .int(1))
        XCTAssertEqual(stats["tables"]?["executions"], .int(0))
        XCTAssertEqual(stats["breakdowns"]?["runs.status"]?["ok"], .int(1))
        XCTAssertEqual(stats["schema_version"], .int(Int64(Migrator().latestVersion)))
    }

    func testMigrateShowsAppliedAndPending() throws {
        _ = try CLI.run(["init", "--db", db])
        let status = try CLI.run(["migrate", "--status", "--format", "csv", "--db", db])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.hasPrefix("version,name,state,applied_at\r\n1,0001_initial.sql,applied,"), status.stdout)
    }
}
