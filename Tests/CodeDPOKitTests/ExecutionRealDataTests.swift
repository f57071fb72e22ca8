import XCTest

@testable import CodeDPOKit

/// The executor on the real public data in ../shared/data.
final class ExecutionRealDataTests: XCTestCase {
    func testCanonicalSolutionsPassEveryGroundTruthTestAndKnownBadSamplesFail() throws {
        guard let data = sharedData else { throw XCTSkip("../shared/data is absent: real-data execution test skipped") }
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3 interpreter") }
        let db = try migratedDatabase(self)
        let humanEval = data.appendingPathComponent("humaneval/HumanEval.jsonl.gz").path
        let codet = data.appendingPathComponent("codet")
        func importFile(_ kind: ImportKind, _ format: ImportFormat, _ file: String, prompts: String? = nil) throws {
            var options = ImportOptions(kind: kind)
            options.format = format
            options.promptsFile = prompts
            _ = try Importer.run(db: db, runID: try RunLog(db).start(command: "import", argv: []), files: [file], options: options)
        }
        try importFile(.problems, .humaneval, humanEval)
        try importFile(.solutions, .humaneval, humanEval)
        try importFile(.solutions, .codet,
                       codet.appendingPathComponent("HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl").path,
                       prompts: codet.appendingPathComponent("HumanEval_for_code_generation.jsonl").path)

        // CodeGen-16B samples checked by hand (identified by content hash):
        let knownBad: [(hash: String, status: String, why: String)] = [
            ("719b352584b76d96dfd057b32bae689fac999ff4ea1854c275a547f9f9a7da95", "timeout",
             "HumanEval/1: `while i < len(s)` whose body never advances i"),
            ("8d3da6c39a44796448373aea5c59b1215b34afefab7c1c5816e72afd4a4bd9cf", "load_error",
             "HumanEval/1: a closing parenthesis that does not match (SyntaxError)"),
            ("950fa9f427349c2be964b6f0d41f181871e56643dc10e3ec033b2174e5f65cf3", "load_error",
             "HumanEval/1: the sample's own trailing assert fails while the module loads"),
            ("ed4a8e20b38b29b37a7d4dbc7c87a2a4aee7938d72219faf51b8d39161462bb2", "load_error",
             "HumanEval/3: the sample's own trailing assert raises IndexError while loading"),
        ]
        let quoted = knownBad.map { "'\($0.hash)'" }.joined(separator: ", ")
        var settings = ExecutionSettings(interpreter: python)
        settings.timeout = 0.5
        var options = ExecuteOptions(settings: settings)
        options.testKinds = [.groundTruth]
        options.whereSQL = "s.id IN (SELECT solution_id FROM solution_sources WHERE model = 'canonical') OR s.content_hash IN (\(quoted))"
        let report = try Executor(db: db, runID: try RunLog(db).start(command: "execute", argv: []), options: options).run()
        XCTAssertFalse(report.interrupted)

        let canonical = try db.rows("""
            SELECT e.status, count(*) FROM executions e
            JOIN solution_sources ss ON ss.solution_id = e.solution_id AND ss.model = 'canonical'
            GROUP BY e.status
            """).map(\.values)
        XCTAssertEqual(canonical, [[.text("pass"), .integer(1131)]], "every canonical solution passes every ground-truth test")
        for bad in knownBad {
            let statuses = try db.rows("SELECT DISTINCT e.status FROM executions e JOIN solutions s ON s.id = e.solution_id WHERE s.content_hash = ?", bad.hash)
                .compactMap { $0[0].string }
            XCTAssertEqual(statuses, [bad.status], bad.why)
        }
    }
}
