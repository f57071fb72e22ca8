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
}
