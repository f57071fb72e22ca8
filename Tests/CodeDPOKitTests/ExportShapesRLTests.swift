import XCTest

@testable import CodeDPOKit

/// Whole-program (instruction-style) pairs in every pair format, the RL formats from trusted
/// tests, quality statistics, the Hub card, and the check that refuses a repeated prompt.
final class ExportShapesRLTests: XCTestCase {
    var db: Database!
    var folder: URL!
    func prompt(_ p: Int) -> String { "def add(a, b):\n    \"\"\"Add two numbers (case \(p)).\"\"\"\n" }

    /// Problems 0-4: whole programs with an import (a chat model's answers); 5-9: completions of
    /// the prompt. Each problem: solution 1 passes tests 1-5, solution 2 passes tests 1-2;
    /// problems 0 and 5 have 3 tests only. Score run 1 (self-validation) scores both.
    override func setUpWithError() throws {
        db = try migratedDatabase(self)
        folder = URL(fileURLWithPath: temporaryDatabasePath(self)).deletingLastPathComponent()
        let runID = try RunLog(db).start(command: "test", argv: [])
        try db.run("INSERT INTO execution_configs (content_hash, interpreter, interpreter_version, isolation, timeout_s, load_timeout_s, output_limit_bytes, parameters, run_id) VALUES ('c', 'p', '3', 'process', 1, 5, 100, '{}', ?)", runID)
        try db.run("INSERT INTO score_runs (run_id, strategy, config_id, final_iteration) VALUES (?, 'self-validation', 1, 1)", runID)
        for p in 0..<10 {
            try db.run("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES (?, ?, ?, 'add', ?)", "P/\(p)", "h\(p)", prompt(p), runID)
            let problem = db.lastInsertRowID
            var solutions: [Int64] = []
            for (i, body) in ["return a + b", "return a - b"].enumerated() {
                let code = p < 5 ? "import operator\n\ndef add(a, b):\n    \(body)  # \(p)\n" : prompt(p) + "    \(body)\n"
                try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, 1, ?)", problem, "s\(p)-\(i)", code, runID)
                solutions.append(db.lastInsertRowID)
                try db.run("INSERT INTO scores (score_run_id, iteration, solution_id, value) VALUES (1, 1, ?, ?)", db.lastInsertRowID, i == 0 ? 4.0 : 1.0)
            }
            let testCount = p % 5 == 0 ? 3 : 5
            for t in 0..<testCount {
                let test = t == 1 ? "assert isinstance(add(1, 2), int)" : "assert add(\(t), \(p)) == \(t + p)"
                try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', ?, ?, 1, ?)", problem, "t\(p)-\(t)", test, runID)
                let testID = db.lastInsertRowID
                try db.run("INSERT INTO scores (score_run_id, iteration, test_id, value) VALUES (1, 1, ?, ?)", testID, Double(10 - t))
                for (i, solution) in solutions.enumerated() {
                    try db.run("INSERT INTO executions (config_id, solution_id, test_id, status, run_id) VALUES (1, ?, ?, ?, ?)",
                               solution, testID, i == 0 || t < 2 ? "pass" : "fail", runID)
                }
            }
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'ground_truth', ?, 'assert add(1, 1) == 2', 1, ?)", problem, "g\(p)", runID)
        }
        try db.run("INSERT INTO pair_sets (name, run_id, score_run_id, policy) VALUES ('set', ?, 1, '{}')", runID)
        for p in 0..<10 {
            try db.run("INSERT INTO pairs (pair_set_id, problem_id, kind, chosen_solution_id, rejected_solution_id, chosen_score, rejected_score, margin) VALUES (1, ?, 'correctness', ?, ?, 4.0, 1.0, ?)",
                       p + 1, 2 * p + 1, 2 * p + 2, Double(p) / 10)
        }
    }

    func export(_ format: ExportFormat, source: ExportSource = .pairSet("set"), name: String? = nil,
                configure: (inout ExportOptions) -> Void = { _ in }) throws -> (ExportReport, [JSON]) {
        var options = ExportOptions(format: format, out: folder.appendingPathComponent("\(name ?? format.rawValue).\(format.fileExtension)").path)
        configure(&options)
        let report = try Exporter(db: db, runID: try RunLog(db).start(command: "export", argv: [])).export(source, options: options)
        let lines = try String(contentsOfFile: report.files[0].path, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        return (report, lines)
    }

    func testWholeProgramsGetTheInstructionPromptInEveryPairFormat() throws {
        let program = "import operator\n\ndef add(a, b):\n    return a + b  # 0\n"
        let answer = "```python\n" + program + "```"
        for format in ExportFormat.pairFormats {
            let (report, lines) = try export(format)
            XCTAssertEqual(report.statistics.shapes, ["instruction": 5, "completion": 5], format.rawValue)
            let first = lines[0], completionLine = lines[format == .kto ? 10 : 5]
            switch format {
            case .trlChat:
                XCTAssertEqual(first["chosen"]?.arrayValue?.first?["content"], .string(answer))
            case .llamafactory:
                XCTAssertEqual(first["instruction"], .string(ExportText.instruction(prompt: prompt(0))))
                XCTAssertEqual(first["chosen"], .string(answer))
                XCTAssertEqual(completionLine["instruction"], .string(prompt(5)))
                XCTAssertEqual(completionLine["chosen"], "    return a + b\n")
            default:
                XCTAssertEqual(first["prompt"], .string(ExportText.instruction(prompt: prompt(0))), format.rawValue)
                XCTAssertEqual(first[format == .kto || format == .sft ? "completion" : "chosen"], .string(answer), format.rawValue)
                XCTAssertEqual(completionLine["prompt"], .string(prompt(5)), format.rawValue)
                XCTAssertEqual(completionLine[format == .kto || format == .sft ? "completion" : "chosen"], "    return a + b\n", format.rawValue)
            }
            let manifest = try JSON.parse(try String(contentsOfFile: report.manifestPath, encoding: .utf8))
            XCTAssertEqual(manifest["statistics"]?["shapes"], .object([("completion", 5), ("instruction", 5)]), format.rawValue)
        }
    }

    func testTheCheckStillRefusesARepeatedPromptNamingFileAndLine() throws {
        let path = folder.appendingPathComponent("bad.jsonl").path
        let good = JSON.object([("prompt", .string(prompt(1))), ("chosen", "    return a + b\n"), ("rejected", "    return 0\n")]).text
        let twice = JSON.object([("prompt", .string(prompt(1))), ("chosen", "def add(a, b):\n    return a + b\n"), ("rejected", "    return 0\n")]).text
        try (good + "\n" + twice + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Exporter.check(path: path, format: .trl, expectedRows: 2)) { error in
            XCTAssertTrue("\(error)".contains("\(path):2: \"chosen\" repeats the prompt's `def add(` line"), "\(error)")
        }
        // An instruction prompt asks for the whole program: its def line is expected there,
        // but a response that starts with the instruction is refused.
        let instruction = ExportText.instruction(prompt: prompt(1))
        XCTAssertNil(ExportText.problem(in: JSON.object([("prompt", .string(instruction)), ("chosen", "```python\ndef add(a, b):\n    return a + b\n```"), ("rejected", "x")]).text, format: .trl))
        XCTAssertEqual(ExportText.problem(in: JSON.object([("prompt", .string(instruction)), ("chosen", .string(instruction + "def add")), ("rejected", "x")]).text, format: .trl),
                       "\"chosen\" starts with the prompt (the trainer would see it twice)")
    }

    func testStatisticsMeasureLengthMarginsAndPairsPerProblem() throws {
        let (report, _) = try export(.trl)
        let stats = report.statistics.json
        XCTAssertEqual(stats["pairs"], 10)
        XCTAssertEqual(stats["kinds"], .object([("correctness", 10)]))
        // Same length of body text on both sides ("a + b" vs "a - b").
        XCTAssertEqual(stats["length"]?["chosen_mean_characters"], stats["length"]?["rejected_mean_characters"])
        XCTAssertEqual(stats["length"]?["chosen_longer_share"], .double(0))
        XCTAssertEqual(stats["margin"]?["min"], .double(0))
        XCTAssertEqual(stats["margin"]?["max"], .double(0.9))
        XCTAssertEqual(stats["margin"]?["median"], .double(0.4))
        XCTAssertEqual(stats["pairs_per_problem"]?["problems"], 10)
        XCTAssertEqual(stats["pairs_per_problem"]?["histogram"], .object([("1", 10)]))
        var biased = ExportStatistics()
        biased.add(pair: "a", kind: "correctness", shape: .completion, chosen: "x\ny\nz\n", rejected: "x\n", margin: 1)
        biased.add(pair: "a", kind: "efficiency", shape: .completion, chosen: "xxxx", rejected: "xx", margin: 3)
        XCTAssertEqual(biased.json["length"]?["chosen_mean_characters"], .double(5))
        XCTAssertEqual(biased.json["length"]?["rejected_mean_lines"], .double(1))
        XCTAssertEqual(biased.json["length"]?["chosen_mean_lines"], .double(2))
        XCTAssertEqual(biased.json["length"]?["chosen_longer_share"], .double(1))
        XCTAssertEqual(biased.json["pairs_per_problem"]?["max"], 2)
    }

    func testRLFormatsCarryTheTrustedTestsAndLeaveOutProblemsWithFewer() throws {
        let (report, grpo) = try export(.grpo, source: .scoreRun(1))
        // Problems 0 and 5 have 3 trusted tests (< 4): left out.
        XCTAssertEqual(grpo.count, 8)
        XCTAssertEqual(report.statistics.leftOut, ["fewer than 4 trusted tests": 2])
        XCTAssertEqual(grpo[0]["problem"], "P/1")
        XCTAssertEqual(grpo[0]["tests"]?.arrayValue?.count, 5, "the top solution passes all five; the ground-truth test is not carried")
        XCTAssertEqual(grpo[0]["tests"]?.arrayValue?.first, "assert add(0, 1) == 1")
        XCTAssertEqual(grpo[0]["test_trust"], [1.0, 0.9, 0.8, 0.7, 0.6])
        XCTAssertEqual(grpo[0]["entry_point"], "add")
        XCTAssertEqual(grpo[0]["language"], "python")
        XCTAssertEqual(grpo[0]["prompt"]?.arrayValue?.first?["content"], .string(ExportText.instruction(prompt: prompt(1))))
        XCTAssertEqual(try export(.grpo, source: .scoreRun(1), name: "three") { $0.minTests = 3 }.1.count, 10)

        let verl = try export(.verl, source: .pairSet("set")).1
        XCTAssertEqual(verl[0]["data_source"], "codedpo")
        XCTAssertEqual(verl[0]["ability"], "code")
        XCTAssertEqual(verl[0]["reward_model"]?["style"], "rule")
        let truth = try JSON.parse(try XCTUnwrap(verl[0]["reward_model"]?["ground_truth"]?.stringValue))
        XCTAssertEqual(truth["assert_case"]?.arrayValue?.count, 5)
        XCTAssertNil(truth["inputs"], "an isinstance assert has no input/output form: only assert_case")
        XCTAssertEqual(verl[0]["extra_info"]?["index"], 0)
        XCTAssertEqual(verl[1]["extra_info"]?["index"], 1)

        let openrlhf = try export(.openrlhfRL, source: .scoreRun(1)).1
        XCTAssertEqual(try JSON.parse(try XCTUnwrap(openrlhf[0]["label"]?.stringValue))["tests"]?.arrayValue?.count, 5)
        XCTAssertEqual(openrlhf[0]["input"], .string(ExportText.instruction(prompt: prompt(1))))
        XCTAssertEqual(try db.rows("SELECT format, pair_set_id, score_run_id, count FROM exports WHERE format IN ('verl', 'openrlhf-rl') ORDER BY id").map(\.values),
                       [[.text("verl"), .integer(1), .integer(1), .integer(8)], [.text("openrlhf-rl"), .null, .integer(1), .integer(8)]])
        XCTAssertThrowsError(try export(.trl, source: .scoreRun(1), name: "nopairs"))
        XCTAssertThrowsError(try export(.verl, source: .scoreRun(1), name: "x") { $0.out = self.folder.appendingPathComponent("v.jsonl").path }) { error in
            XCTAssertTrue("\(error)".contains("verl reads .json or .parquet"), "\(error)")
        }
    }

    func testVerlAsParquetWhenPyarrowIsInstalled() throws {
        guard Parquet.converter() != nil else { throw XCTSkip("pyarrow is not installed (python3 -m pip install pyarrow): Parquet output not checked") }
        let path = folder.appendingPathComponent("verl.parquet").path
        let (report, _) = try { () throws -> (ExportReport, [JSON]) in
            var options = ExportOptions(format: .verl, out: path)
            options.minTests = 3
            return (try Exporter(db: db, runID: try RunLog(db).start(command: "export", argv: [])).export(.scoreRun(1), options: options), [])
        }()
        XCTAssertEqual(report.files.map(\.path), [path])
        XCTAssertEqual(report.files[0].rows, 10)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(bytes.prefix(4)), Array("PAR1".utf8), "a Parquet file starts with PAR1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".jsonl.tmp"), "the JSON lines it was converted from are removed")
        XCTAssertEqual(report.files[0].sha256, try LineReader.digest(path: path).sha256)
    }

    func testRequestChecksItsFlagsAndAPipelineStepTakesTheNewOnes() throws {
        func message(_ request: ExportRequest) -> String {
            do { _ = try request.options(); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(ExportRequest(pairSet: "set", scoreRun: nil, format: "trl", out: nil, hub: nil)).contains("give --out FILE or --hub DIR"))
        XCTAssertTrue(message(ExportRequest(pairSet: nil, scoreRun: 1, format: "trl", out: "x.jsonl", hub: nil)).contains("writes pairs: give --pair-set NAME"))
        XCTAssertTrue(message(ExportRequest(pairSet: "set", scoreRun: 1, format: "grpo", out: "x.jsonl", hub: nil)).contains("one of them"))
        XCTAssertEqual(message(ExportRequest(pairSet: nil, scoreRun: 1, format: "verl", out: nil, hub: "h")), "")
        let flags = StepFlags(location: "export[0]", fields: [("format", "grpo"), ("hub", "hub/rl"), ("license", "mit"), ("min-tests", 5)])
        let options = try ExportRequest(pairSet: "set", flags: flags).options()
        XCTAssertEqual(options.format, .grpo)
        XCTAssertEqual(options.hub, "hub/rl")
        XCTAssertEqual(options.license, "mit")
        XCTAssertEqual(options.minTests, 5)
    }

    func testVerlGroundTruthHasInputsAndOutputsWhenEveryAssertIsACall() {
        let tests = ["assert add(1, 2) == 3", "assert add('a', \"b\") == 'ab'", "assert add([1, None], [True]) == [1, None, True]",
                     "assert add({'k': -1.5}, 2e3) == {\"k\": -1.5}"]
        let problem = ProblemTests(problem: "P", prompt: "", entryPoint: "add", language: "python",
                                   tests: tests.enumerated().map { TrustedTest(id: Int64($0.offset), code: $0.element, trust: nil) })
        let truth = RLRows.groundTruth(problem)
        XCTAssertEqual(truth["fn_name"], "add")
        XCTAssertEqual(truth["inputs"], [[1, 2], ["a", "b"], [[1, nil], [true]], [["k": -1.5], 2000.0]])
        XCTAssertEqual(truth["outputs"], [3, "ab", [1, nil, true], ["k": -1.5]])
        for notExact in ["assert add(1, 2) == (1, 2)", "assert add(x=1) == 2", "assert add(1, 2) == 3, 'message'", "assert adder(1) == 2",
                         "assert add(1) != 2", "assert add(0x10) == 16", "assert add(01) == 1", "assert add({1, 2}) == 3", "assert add(b'x') == 1"] {
            XCTAssertNil(PythonLiteral.call(assert: notExact, function: "add"), notExact)
        }
        XCTAssertEqual(PythonLiteral.call(assert: "assert add( ) == 'it''s'", function: "add"), nil, "Python's implicit concatenation is left alone")
        XCTAssertEqual(PythonLiteral.value("'tab\\there'"), "tab\there")
        XCTAssertEqual(RLRows.relativeTrust([TrustedTest(id: 1, code: "", trust: 4), TrustedTest(id: 2, code: "", trust: 1), TrustedTest(id: 3, code: "", trust: nil)]),
                       [1, 0.25, nil])
    }

    func testHubFolderHasDataFilesACardAndTheManifest() throws {
        let hub = folder.appendingPathComponent("hub").path
        let (report, _) = try export(.trl) { $0.hub = hub; $0.validationShare = 0.3; $0.shuffleSeed = 1; $0.license = "mit" }
        XCTAssertEqual(report.files.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["train.jsonl", "validation.jsonl"])
        XCTAssertTrue(report.files.allSatisfy { $0.path.hasPrefix(hub + "/data/") })
        let card = try String(contentsOfFile: hub + "/README.md", encoding: .utf8)
        XCTAssertTrue(card.hasPrefix("---\nlicense: mit\n"), card)
        XCTAssertTrue(card.contains("configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train.jsonl\n  - split: validation\n    path: data/validation.jsonl\n"), card)
        XCTAssertTrue(card.contains("- trl\n- dpo\n"), card)
        XCTAssertTrue(card.contains("size_categories:\n- \"n<1K\"\n"), card)
        XCTAssertTrue(card.contains("score run 1: strategy `self-validation`"), card)
        XCTAssertTrue(card.contains("pairs: 10 (10 correctness); shapes: 5 completion, 5 instruction"), card)
        let manifest = try JSON.parse(try String(contentsOfFile: hub + "/codedpo.manifest.json", encoding: .utf8))
        XCTAssertEqual(manifest["files"]?.arrayValue?.first?["path"], "data/train.jsonl")
        XCTAssertEqual(manifest["card"], "README.md")
        XCTAssertTrue(card.contains("- benchmarks: not checked against benchmarks (no `codedpo decontaminate` run)\n"), card)
        XCTAssertEqual(DatasetCard.decontaminationLine(["decontamination_run": 3, "parameters": ["ngram": 10], "allow_contaminated": false,
                                                        "contaminated_problems_removed": 2]),
                       "decontamination run 3, parameters `{\"ngram\":10}`: 2 contaminated problem(s) removed")
        XCTAssertEqual(DatasetCard.decontaminationLine(["decontamination_run": 3, "parameters": nil, "allow_contaminated": true,
                                                        "contaminated_problems_kept": 1]),
                       "decontamination run 3: 1 contaminated problem(s) kept (--allow-contaminated)")
        XCTAssertEqual(DatasetCard.sizeCategory(999), "n<1K")
        XCTAssertEqual(DatasetCard.sizeCategory(93_000), "10K<n<100K")
    }

    /// Real completion-style data: CodeGen-16B samples continuing CodeT's HumanEval prompts
    /// (docstring examples removed), exported against HumanEval's own prompts. Every pair is
    /// completion-style and no response repeats the function header.
    func testCodeTCompletionsExportAsCompletionsInEveryPairFormat() throws {
        guard let data = sharedData else { throw XCTSkip("../shared/data is absent: CodeT export test skipped") }
        let real = try migratedDatabase(self)
        func load(_ kind: ImportKind, _ format: ImportFormat, _ file: String, prompts: String? = nil) throws {
            var options = ImportOptions(kind: kind)
            options.format = format
            options.promptsFile = prompts.map { data.appendingPathComponent($0).path }
            _ = try Importer.run(db: real, runID: try RunLog(real).start(command: "import", argv: []), files: [data.appendingPathComponent(file).path], options: options)
        }
        try load(.problems, .humaneval, "humaneval/HumanEval.jsonl.gz")
        try load(.solutions, .codet, "codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl",
                 prompts: "codet/HumanEval_for_code_generation.jsonl")
        let runID = try RunLog(real).start(command: "test", argv: [])
        try real.run("INSERT INTO execution_configs (content_hash, interpreter, interpreter_version, isolation, timeout_s, load_timeout_s, output_limit_bytes, parameters, run_id) VALUES ('c', 'p', '3', 'process', 1, 5, 100, '{}', ?)", runID)
        try real.run("INSERT INTO score_runs (run_id, strategy, config_id) VALUES (?, 'pass-count', 1)", runID)
        try real.run("INSERT INTO pair_sets (name, run_id, score_run_id, policy) VALUES ('codet', ?, 1, '{}')", runID)
        // The two most sampled solutions of HumanEval/0-19 as a pair (no execution needed to
        // test the export's text handling).
        try real.run("""
            INSERT INTO pairs (pair_set_id, problem_id, kind, chosen_solution_id, rejected_solution_id, chosen_score, rejected_score, margin)
            SELECT 1, p.id, 'correctness',
                (SELECT id FROM solutions WHERE problem_id = p.id ORDER BY sample_count DESC, id LIMIT 1),
                (SELECT id FROM solutions WHERE problem_id = p.id ORDER BY sample_count DESC, id LIMIT 1 OFFSET 1), 2, 1, 1
            FROM problems p WHERE CAST(substr(p.external_id, 11) AS INTEGER) < 20
            """)
        let pairs = try XCTUnwrap(try real.int("SELECT count(*) FROM pairs"))
        XCTAssertEqual(pairs, 20)
        for format in ExportFormat.pairFormats {
            var options = ExportOptions(format: format, out: folder.appendingPathComponent("codet-\(format.rawValue).jsonl").path)
            options.kinds = ["correctness"]
            let report = try Exporter(db: real, runID: runID).export(.pairSet("codet"), options: options)
            // HumanEval/10's second most sampled completion stops right after the docstring:
            // nothing to learn from, left out and counted.
            XCTAssertEqual(report.statistics.shapes, ["completion": pairs - 1], format.rawValue)
            XCTAssertEqual(report.statistics.leftOut, ["a response is empty: the solution is its prompt alone": 1], format.rawValue)
            let lines = try String(contentsOfFile: report.files[0].path, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
            XCTAssertGreaterThanOrEqual(lines.count, format == .sft ? pairs - 2 : pairs - 1, format.rawValue)
            guard format != .trlChat else { continue }
            for line in lines {
                let response = (line["chosen"] ?? line["completion"])?.stringValue ?? ""
                XCTAssertFalse(response.contains("def "), "\(format.rawValue): \(response)")
                XCTAssertFalse(response.isEmpty)
            }
        }
    }
}
