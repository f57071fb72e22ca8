import XCTest

@testable import CodeDPOKit

/// schema/schema.sql must always equal what the migrations produce.
final class SchemaTests: XCTestCase {
    let schemaFile = projectRoot.appendingPathComponent("schema/schema.sql")

    /// Every object's definition with comments dropped and white space folded, so only the
    /// meaning of the SQL is compared.
    func objects(of db: Database) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try db.rows("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'") {
            result["\(row[0].string!) \(row[1].string!)"] = Self.normalize(row[2].string!)
        }
        return result
    }

    static func normalize(_ sql: String) -> String {
        let withoutComments = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let range = line.range(of: "--") else { return line }
            return line[..<range.lowerBound]
        }.joined(separator: " ")
        var folded = withoutComments.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for mark in ["(", ")", ",", ";"] {
            folded = folded.replacingOccurrences(of: " \(mark)", with: mark).replacingOccurrences(of: "\(mark) ", with: mark)
        }
        return folded
    }

    func testSchemaFileEqualsAllMigrationsApplied() throws {
        let migrated = try migratedDatabase(self)
        let documented = try Database(path: temporaryDatabasePath(self, name: "schema.db"))
        try documented.execute(try String(contentsOf: schemaFile, encoding: .utf8))

        let fromMigrations = try objects(of: migrated)
        let fromSchemaFile = try objects(of: documented)
        let onlyInMigrations = Set(fromMigrations.keys).subtracting(fromSchemaFile.keys).sorted()
        let onlyInSchemaFile = Set(fromSchemaFile.keys).subtracting(fromMigrations.keys).sorted()
        XCTAssertEqual(onlyInMigrations, [], "created by migrations but missing from schema/schema.sql")
        XCTAssertEqual(onlyInSchemaFile, [], "in schema/schema.sql but not created by any migration")
        for key in Set(fromMigrations.keys).intersection(fromSchemaFile.keys).sorted() {
            XCTAssertEqual(fromMigrations[key], fromSchemaFile[key], "\(key) differs between migrations and schema/schema.sql")
        }
        XCTAssertGreaterThan(fromMigrations.count, 30)
    }

    func testEveryTableAndViewInTheSchemaFileHasAComment() throws {
        let lines = try String(contentsOf: schemaFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var checked = 0
        for (index, line) in lines.enumerated() where line.hasPrefix("CREATE TABLE") || line.hasPrefix("CREATE VIEW") {
            checked += 1
            let previous = index > 0 ? lines[index - 1] : ""
            XCTAssertTrue(previous.hasPrefix("--"), "no comment right above: \(line)")
        }
        XCTAssertGreaterThan(checked, 25)
    }

    func testTablesUsersQueryHaveTheDocumentedColumns() throws {
        let db = try migratedDatabase(self)
        func columns(_ table: String) throws -> Set<String> {
            Set(try db.rows("SELECT name FROM pragma_table_info(?)", table).compactMap { $0[0].string })
        }
        XCTAssertTrue(try columns("solutions").isSuperset(of: ["id", "problem_id", "code", "content_hash", "sample_count"]))
        XCTAssertTrue(try columns("tests").isSuperset(of: ["id", "problem_id", "code", "kind", "content_hash"]))
        XCTAssertTrue(try columns("executions").isSuperset(of: ["solution_id", "test_id", "status", "config_id"]))
        XCTAssertEqual(try columns("scores"), ["score_run_id", "iteration", "solution_id", "test_id", "value"])
        for table in ["runs", "seeds", "problems", "generations", "solutions", "tests", "execution_configs", "executions",
                      "score_runs", "scores", "efficiency_runs", "trusted_tests", "timings", "pair_sets", "pairs", "exports"] {
            XCTAssertTrue(try db.tableExists(table), "missing table \(table)")
        }
    }
}

/// Migrations 0005 and 0007: one problem's scores at every iteration are index ranges, not a
/// scan of the score run (what `scores --problem`, the report and the ranking views by problem
/// read); the pass matrix and the rankings of one problem start at its solutions or tests.
final class ScoreIndexTests: XCTestCase {
    func testOneProblemsScoresAreReadThroughTheIndexes() throws {
        let db = try migratedDatabase(self)
        for (sql, index) in [
            // The form the report and `scores --problem` use: CROSS JOIN keeps the problem's rows
            // outermost (without statistics the planner would otherwise walk the whole run).
            ("SELECT sc.value FROM solutions s CROSS JOIN scores sc ON sc.score_run_id = 1 AND sc.solution_id = s.id WHERE s.problem_id = 1", "solution_score_values"),
            ("SELECT sc.value FROM tests t CROSS JOIN scores sc ON sc.score_run_id = 1 AND sc.test_id = t.id WHERE t.problem_id = 1", "test_score_values"),
        ] {
            let plan = try db.rows("EXPLAIN QUERY PLAN " + sql).compactMap { $0["detail"].string }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("USING COVERING INDEX \(index) (score_run_id=? AND \(index == "solution_score_values" ? "solution_id" : "test_id")=?)"), plan)
            XCTAssertFalse(plan.contains("SCAN sc"), "no scan of the scores: \(plan)")
        }
        // The ranking views filtered by one problem (with or without a score run) look up each
        // of the problem's solutions' (tests') scores: never a walk of a run (`(score_run_id=?)`
        // alone) or a scan.
        for sql in ["SELECT * FROM solution_ranking WHERE score_run_id = 1 AND problem_id = 1", "SELECT * FROM latest_ranking WHERE problem_id = 1",
                    "SELECT * FROM solution_ranking WHERE problem_id = 1", "SELECT * FROM test_ranking WHERE problem_id = 1",
                    "SELECT * FROM test_ranking WHERE score_run_id = 1 AND problem_id = 1"] {
            let plan = try db.rows("EXPLAIN QUERY PLAN " + sql).compactMap { $0["detail"].string }.joined(separator: "\n")
            let key = sql.contains("FROM test_ranking") ? "scores_of_tests (score_run_id=? AND test_id=? AND iteration=?)"
                                                   : "scores_of_solutions (score_run_id=? AND solution_id=? AND iteration=?)"
            XCTAssertTrue(plan.contains("SEARCH sc USING INDEX \(key)"), "\(sql):\n\(plan)")
            XCTAssertTrue(plan.contains("(problem_id=?)"), "the problem's rows lead: \(sql):\n\(plan)")
            XCTAssertFalse(plan.contains("SCAN sc"), "\(sql):\n\(plan)")
        }
    }

    /// The README's pass matrix of one problem reads that problem's verdicts, with or without
    /// a config, and the whole matrix of a config stays one pass over the verdict index.
    func testPassMatrixOfOneProblemStartsAtItsSolutions() throws {
        let db = try migratedDatabase(self)
        for sql in ["SELECT solution_id, test_id, passed FROM pass_matrix WHERE problem_id = 1 AND config_id = 1",
                    "SELECT solution_id, test_id, passed FROM pass_matrix WHERE problem_id = 1"] {
            let plan = try db.rows("EXPLAIN QUERY PLAN " + sql).compactMap { $0["detail"].string }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("SEARCH s USING COVERING INDEX sqlite_autoindex_solutions_1 (problem_id=?)"), "\(sql):\n\(plan)")
            XCTAssertTrue(plan.contains("(config_id=? AND solution_id=?)"), "\(sql):\n\(plan)")
            XCTAssertFalse(plan.contains("SCAN e"), "\(sql):\n\(plan)")
        }
        let whole = try db.rows("EXPLAIN QUERY PLAN SELECT * FROM pass_matrix WHERE config_id = 1").compactMap { $0["detail"].string }.joined(separator: "\n")
        XCTAssertTrue(whole.contains("SEARCH e USING COVERING INDEX executions_with_status (config_id=? AND solution_id=?)"), whole)
    }

    /// The per-problem lookups of the RL exports and the efficiency stage (top solution, scored
    /// problems) look up each solution's score, never walk the run: with `scores` outer they
    /// searched by score run alone, and `export --format grpo` went quadratic.
    func testPerProblemTopSolutionIsAnIndexLookup() throws {
        let db = try migratedDatabase(self)
        for (sql, arguments) in [(ScoreRunRecord.topSolutionSQL, [1, 10, 1]), (Exporter.scoredProblemsSQL(allowContaminated: true), [1, 10]),
                                 (Exporter.scoredProblemsSQL(allowContaminated: false), [1, 10])] {
            let statement = try db.prepare("EXPLAIN QUERY PLAN " + sql)
            try statement.bind(arguments.map { Int64($0) as SQLBindable })
            let plan = try statement.rows().compactMap { $0["detail"].string }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("SEARCH s USING COVERING INDEX sqlite_autoindex_solutions_1 (problem_id=?)"), plan)
            XCTAssertTrue(plan.contains("scores_of_solutions (score_run_id=? AND solution_id=? AND iteration=?)"), plan)
        }
    }
}
