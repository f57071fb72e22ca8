import XCTest

@testable import CodeDPOKit

/// The shared words have one definition: the verdict statuses the schema accepts are the ones
/// VerdictStatus lists, in the same order.
final class VocabularyTests: XCTestCase {
    func testVerdictStatusesAreTheSchemasStatuses() throws {
        let schema = try String(contentsOf: projectRoot.appendingPathComponent("schema/schema.sql"), encoding: .utf8)
        let list = "(" + VerdictStatus.names.map { "'\($0)'" }.joined(separator: ", ") + ")"
        XCTAssertTrue(schema.contains("CHECK (status IN \(list))"), "executions.status in schema/schema.sql should be CHECK (status IN \(list))")
        XCTAssertEqual(VerdictStatus(rawValue: "load_error"), .loadError)
    }

    func testTheCatalogKeepsOneRowPerContentAndOneProvenancePerSource() throws {
        let db = try migratedDatabase(self)
        let runID = try RunLog(db).start(command: "test", argv: [])
        try db.run("INSERT INTO sources (kind, identity, uri, run_id) VALUES ('file', 'a.jsonl', 'a.jsonl', ?)", runID)
        let source = db.lastInsertRowID
        let catalog = ContentCatalog(db: db, runID: runID)
        let problem = ProblemRecord(externalID: "P/1", prompt: "def f(x):\n", entryPoint: "f", language: "python", metadata: nil, groundTruthTests: [])
        let problemHash = Normalize.problemHash(prompt: problem.prompt, entryPoint: "f", language: "python")
        let (problemID, added) = try catalog.writeProblem(problem, hash: problemHash, existing: nil, provenance: Provenance(sourceID: source, locator: "line 1"))
        XCTAssertEqual(added, .added)
        let code = "def f(x):\n    return x\n"
        let write = { (locator: String, count: Int) in
            try catalog.writeSolution(problemID: problemID, code: code, hash: Normalize.hash(code), count: count,
                                      provenance: Provenance(sourceID: source, locator: locator, generationID: nil)).outcome
        }
        XCTAssertEqual(try write("line 2", 2), .added)
        XCTAssertEqual(try write("line 3", 3), .merged)
        XCTAssertEqual(try write("line 3", 3), .unchanged)
        XCTAssertEqual(try db.int("SELECT sample_count FROM solutions"), 5)
        XCTAssertEqual(try db.int("SELECT count(*) FROM solution_sources"), 2)
    }
}
