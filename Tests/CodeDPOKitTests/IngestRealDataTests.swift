import XCTest

@testable import CodeDPOKit

/// Imports the real public data in ../shared/data and checks every per-problem count against
/// Tests/Reference/reference_counts.py, an independent implementation of the same rules.
final class IngestRealDataTests: XCTestCase {
    static var reference: JSON?

    func data() throws -> URL {
        guard let data = sharedData else { throw XCTSkip("../shared/data is absent: real-data import tests skipped") }
        return data
    }

    func referenceCounts() throws -> JSON {
        if let cached = Self.reference { return cached }
        let python = try PythonInterpreter.resolve()
        let output = try PythonInterpreter.run(python.path, [projectRoot.appendingPathComponent("Tests/Reference/reference_counts.py").path,
                                                             "--data", try data().path])
        let parsed = try JSON.parse(output)
        Self.reference = parsed
        return parsed
    }

    func importFiles(_ db: Database, _ kind: ImportKind, _ format: ImportFormat, _ files: [String], prompts: String? = nil) throws -> ImportReport {
        var options = ImportOptions(kind: kind)
        options.format = format
        options.promptsFile = prompts
        let runID = try RunLog(db).start(command: "import", argv: [])
        return try Importer.run(db: db, runID: runID, files: files, options: options)
    }

    func tableCounts(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["problems", "problem_sources", "solutions", "solution_sources", "tests", "test_sources", "sources"] {
            counts[table] = try db.int("SELECT count(*) FROM \(table)")
        }
        counts["samples"] = try db.int("SELECT coalesce(sum(sample_count), 0) FROM solutions")
        return counts
    }

    /// Ground-truth test provenance per problem: one record per split test, duplicates included.
    func groundTruthCounts(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try db.rows("""
            SELECT p.external_id, count(ts.test_id) FROM problems p
            LEFT JOIN tests t ON t.problem_id = p.id AND t.kind = 'ground_truth'
            LEFT JOIN test_sources ts ON ts.test_id = t.id
            GROUP BY p.id
            """) {
            counts[row[0].string!] = row[1].int!
        }
        return counts
    }

    func testHumanEvalProblemsWithGroundTruthTestsAndReimportAddsNothing() throws {
        let data = try data()
        let reference = try referenceCounts()
        let db = try migratedDatabase(self)
        let file = data.appendingPathComponent("humaneval/HumanEval.jsonl.gz").path
        let report = try importFiles(db, .problems, .humaneval, [file])
        XCTAssertEqual(report.added["problems"], 164)
        XCTAssertEqual(try db.int("SELECT count(*) FROM problems"), 164)

        let expected = try XCTUnwrap(reference["humaneval"]?.objectValue)
        XCTAssertEqual(expected.count, 164)
        let actual = try groundTruthCounts(db)
        for (taskID, counts) in expected {
            XCTAssertEqual(actual[taskID], counts["ground_truth_tests"]?.intValue.map(Int.init), taskID)
        }
        // Every ground-truth test calls the function under test through `candidate`.
        XCTAssertEqual(try db.int("SELECT count(*) FROM tests WHERE kind = 'ground_truth' AND code NOT LIKE '%candidate = %'"), 0)
        let zero = try db.scalar("SELECT code FROM tests WHERE problem_id = 1 ORDER BY id LIMIT 1")?.string
        XCTAssertEqual(zero, "candidate = has_close_elements\nassert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True\n")

        let before = try tableCounts(db)
        let again = try importFiles(db, .problems, .humaneval, [file])
        XCTAssertEqual(again.added.values.reduce(0, +), 0)
        XCTAssertTrue(again.files[0].sourceWasKnown)
        var after = try tableCounts(db)
        XCTAssertEqual(after, before, "re-import must add zero rows")

        // The same file under another path is the same source: still nothing new.
        let copy = temporaryDatabasePath(self, name: "HumanEval-copy.jsonl.gz")
        try FileManager.default.copyItem(atPath: file, toPath: copy)
        _ = try importFiles(db, .problems, .humaneval, [copy])
        after = try tableCounts(db)
        XCTAssertEqual(after, before)
    }

    func testCodeTSolutionsAndTestsMatchTheReferencePerProblem() throws {
        let data = try data().appendingPathComponent("codet")
        let reference = try XCTUnwrap(try referenceCounts()["codet_humaneval"]?.objectValue)
        let db = try migratedDatabase(self)
        _ = try importFiles(db, .problems, .humaneval, [try self.data().appendingPathComponent("humaneval/HumanEval.jsonl.gz").path])
        _ = try importFiles(db, .solutions, .codet,
                            [data.appendingPathComponent("HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl").path],
                            prompts: data.appendingPathComponent("HumanEval_for_code_generation.jsonl").path)
        _ = try importFiles(db, .tests, .codet,
                            [data.appendingPathComponent("HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.tasks0-81.jsonl").path],
                            prompts: data.appendingPathComponent("HumanEval_for_test_case_generation.jsonl").path)
        XCTAssertEqual(reference.count, 82)
        for (taskID, expected) in reference {
            let problem = try XCTUnwrap(try db.int("SELECT id FROM problems WHERE external_id = ?", taskID), taskID)
            let multiplicities = try db.rows("SELECT sample_count FROM solutions WHERE problem_id = ? ORDER BY sample_count DESC", problem)
                .map { Int64($0[0].int!) }
            XCTAssertEqual(multiplicities.count, expected["solutions"]?.intValue.map(Int.init), "\(taskID) distinct solutions")
            XCTAssertEqual(multiplicities, expected["multiplicities"]?.arrayValue?.compactMap(\.intValue), "\(taskID) multiplicities")
            XCTAssertEqual(try db.int("SELECT count(*) FROM tests WHERE problem_id = ? AND kind = 'generated'", problem),
                           expected["tests"]?.intValue.map(Int.init), "\(taskID) distinct tests")
            XCTAssertEqual(try db.int("SELECT coalesce(sum(sample_count), 0) FROM tests WHERE problem_id = ? AND kind = 'generated'", problem),
                           expected["test_strings"]?.intValue.map(Int.init), "\(taskID) test strings")
        }
        XCTAssertEqual(try db.int("SELECT sum(sample_count) FROM solutions"), 8200)
        // A solution is the CodeT prompt plus the completion cut at CodeT's stop sequences.
        XCTAssertEqual(try db.int("SELECT count(*) FROM solutions WHERE code LIKE '%' || char(10) || 'print%'"), 0)

        let before = try tableCounts(db)
        _ = try importFiles(db, .solutions, .codet,
                            [data.appendingPathComponent("HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl").path],
                            prompts: data.appendingPathComponent("HumanEval_for_code_generation.jsonl").path)
        XCTAssertEqual(try tableCounts(db), before, "re-import must add zero rows")
    }

    func testMBPPAndMBPPPlusGroundTruth() throws {
        let data = try data()
        let reference = try referenceCounts()
        for (file, key, total) in [("codet/mbpp_sanitized_for_code_generation.jsonl", "mbpp", 427),
                                   ("evalplus/MbppPlus.jsonl.gz", "mbppplus", 378)] {
            let db = try migratedDatabase(self)
            let report = try importFiles(db, .problems, .mbpp, [data.appendingPathComponent(file).path])
            XCTAssertEqual(report.added["problems"], total, file)
            let actual = try groundTruthCounts(db)
            let expected = try XCTUnwrap(reference[key]?.objectValue, key)
            XCTAssertEqual(expected.count, total)
            for (taskID, counts) in expected {
                XCTAssertEqual(actual[taskID], counts["ground_truth_tests"]?.intValue.map(Int.init), "\(key) \(taskID)")
            }
        }
    }

    func testAgentCoderSolutionsAndTests() throws {
        let file = try data().appendingPathComponent("agentcoder/gpt-3.5-turbo-1106.json").path
        let reference = try XCTUnwrap(try referenceCounts()["agentcoder"]?.objectValue)
        let db = try migratedDatabase(self)
        _ = try importFiles(db, .problems, .agentcoder, [file])
        _ = try importFiles(db, .solutions, .agentcoder, [file])
        _ = try importFiles(db, .tests, .agentcoder, [file])
        for (taskID, expected) in reference {
            let problem = try XCTUnwrap(try db.int("SELECT id FROM problems WHERE external_id = ?", taskID))
            let multiplicities = try db.rows("SELECT sample_count FROM solutions WHERE problem_id = ? ORDER BY sample_count DESC", problem)
                .map { Int64($0[0].int!) }
            XCTAssertEqual(multiplicities, expected["multiplicities"]?.arrayValue?.compactMap(\.intValue), "\(taskID) multiplicities")
            XCTAssertEqual(try db.int("SELECT count(*) FROM tests WHERE problem_id = ? AND kind = 'generated'", problem),
                           expected["tests_on_entry_point"]?.intValue.map(Int.init), "\(taskID) tests")
        }
    }

    func testCanonicalSolutionsImportAsWholePrograms() throws {
        let file = try data().appendingPathComponent("humaneval/HumanEval.jsonl.gz").path
        let db = try migratedDatabase(self)
        _ = try importFiles(db, .problems, .humaneval, [file])
        let report = try importFiles(db, .solutions, .humaneval, [file])
        XCTAssertEqual(report.added["solutions"], 164)
        let code = try XCTUnwrap(try db.scalar("SELECT code FROM solutions s JOIN problems p ON p.id = s.problem_id WHERE p.external_id = 'HumanEval/0'")?.string)
        XCTAssertTrue(code.hasPrefix("from typing import List\n\n\ndef has_close_elements("), code)
        XCTAssertTrue(code.contains("    return False\n"), code)
        XCTAssertEqual(try db.scalar("SELECT DISTINCT model FROM solution_sources"), .text("canonical"))
    }
}
