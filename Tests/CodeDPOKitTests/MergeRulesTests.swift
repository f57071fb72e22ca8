import Foundation
import XCTest

@testable import CodeDPOKit

/// The merge takes its columns from the schema: every table has a rule, a column a migration
/// adds is carried over, and a new id column without a mapping stops the merge.
final class MergeRulesTests: XCTestCase {
    func testEveryTableOfTheSchemaHasAMergeRule() throws {
        let db = try migratedDatabase(self)
        let tables = Set(try db.tableNames()).subtracting(["schema_migrations"])
        XCTAssertEqual(tables.subtracting(Merger.mergedTables).subtracting(Merger.unmergedTables.keys).sorted(), [],
                       "tables with no merge rule: merge them (Merger.mergedTables) or say why not (Merger.unmergedTables)")
        XCTAssertEqual(Set(Merger.mergedTables).union(Merger.unmergedTables.keys).subtracting(tables).sorted(), [],
                       "rules for tables the schema does not have")
        XCTAssertTrue(Set(Merger.mergedTables).isDisjoint(with: Merger.unmergedTables.keys))
    }

    /// Two databases with one problem each, the same extra column added to both, as a future
    /// migration would.
    func makeInput(_ name: String, note: String, extraSQL: String) throws -> Database {
        let db = try Workspace.initialize(path: temporaryDatabasePath(self, name: name)).0
        try db.execute(extraSQL)
        let runID = try RunLog(db).start(command: "import", argv: [name])
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES (?, ?, 'def f(): pass', ?)", name, SHA256.hex(name), runID)
        try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id, note) VALUES (?, 'h', 'def f(): return 1', 1, ?, ?)",
                   db.lastInsertRowID, runID, note)
        try RunLog(db).finish(runID, status: .ok)
        return db
    }

    func testAColumnAddedLaterIsMergedWithoutAnEdit() throws {
        let add = "ALTER TABLE solutions ADD COLUMN note TEXT"
        let output = try makeInput("out.db", note: "kept", extraSQL: add)
        let input = try makeInput("in.db", note: "carried", extraSQL: add)
        let mergeRun = try RunLog(output).start(command: "merge", argv: [])
        let report = try Merger(db: output, runID: mergeRun).merge(path: input.path)
        XCTAssertEqual(report.added.first { $0.table == "solutions" }?.rows, 1)
        XCTAssertEqual(try output.rows("SELECT note FROM solutions ORDER BY id").map { $0["note"].string }, ["kept", "carried"])
    }

    func testANewIDColumnWithoutAMappingStopsTheMerge() throws {
        let add = "ALTER TABLE solutions ADD COLUMN seed_id INTEGER REFERENCES seeds (id)"
        let output = try makeInput("out.db", note: "", extraSQL: add + "; ALTER TABLE solutions ADD COLUMN note TEXT")
        let input = try makeInput("in.db", note: "", extraSQL: add + "; ALTER TABLE solutions ADD COLUMN note TEXT")
        let mergeRun = try RunLog(output).start(command: "merge", argv: [])
        XCTAssertThrowsMessage(try Merger(db: output, runID: mergeRun).merge(path: input.path),
                               contains: ["solutions.seed_id refers to seeds", "no id mapping"])
        XCTAssertEqual(try output.int("SELECT count(*) FROM solutions"), 1, "nothing half-written")
    }

    /// A decontamination run comes with its benchmark, items and matches, pointing at the
    /// output's ids (the input's problem gets another id there); merging again adds nothing.
    func testDecontaminationIsMergedWithItsMatches() throws {
        let output = try makeInput("out.db", note: "", extraSQL: "ALTER TABLE solutions ADD COLUMN note TEXT")
        let input = try makeInput("in.db", note: "", extraSQL: "ALTER TABLE solutions ADD COLUMN note TEXT")
        let runID = try RunLog(input).start(command: "decontaminate", argv: ["--benchmark", "he.jsonl"])
        try input.run("INSERT INTO benchmarks (name, format, path, sha256, items, run_id) VALUES ('HE', 'jsonl', 'he.jsonl', 'abc', 1, ?)", runID)
        try input.run("INSERT INTO benchmark_items (benchmark_id, external_id, prompt) VALUES (?, 'HumanEval/0', 'def f(): pass')", input.lastInsertRowID)
        let item = input.lastInsertRowID
        try input.run("INSERT INTO decontamination_runs (run_id, parameters) VALUES (?, '{}')", runID)
        let check = input.lastInsertRowID
        let problem = try XCTUnwrap(input.int("SELECT id FROM problems"))
        let solution = try XCTUnwrap(input.int("SELECT id FROM solutions"))
        for (kind, id) in [("problem", problem), ("solution", solution)] {
            try input.run("""
                INSERT INTO contamination_matches (decontamination_run_id, item_kind, item_id, problem_id, benchmark_item_id, match, matched_text)
                VALUES (?, ?, ?, ?, ?, 'substring', 'def f')
                """, check, kind, id, problem, item)
        }
        try RunLog(input).finish(runID, status: .ok)
        let mergeRun = try RunLog(output).start(command: "merge", argv: [])
        let report = try Merger(db: output, runID: mergeRun).merge(path: input.path)
        XCTAssertEqual(report.added.first { $0.table == "contamination_matches" }?.rows, 2)
        XCTAssertEqual(try output.rows("SELECT p.external_id FROM contaminated_problems c JOIN problems p ON p.id = c.problem_id").map { $0["external_id"].string },
                       ["in.db"])
        let merged = try output.rows("""
            SELECT m.item_kind, m.item_id = (CASE m.item_kind WHEN 'problem' THEN p.id ELSE s.id END) AS points_at_it, b.external_id
            FROM contamination_matches m JOIN problems p ON p.id = m.problem_id JOIN solutions s ON s.problem_id = p.id
            JOIN benchmark_items b ON b.id = m.benchmark_item_id ORDER BY m.id
            """)
        XCTAssertEqual(merged.map { $0["points_at_it"].int }, [1, 1])
        XCTAssertEqual(merged.map { $0["external_id"].string }, ["HumanEval/0", "HumanEval/0"])
        let again = try Merger(db: output, runID: mergeRun).merge(path: input.path)
        XCTAssertEqual(again.totalAdded, 0, "\(again.added)")
    }
}
