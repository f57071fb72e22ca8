import XCTest

@testable import CodeDPOKit

final class PairRuleTests: XCTestCase {
    func candidate(_ id: Int64, _ score: Double, passes: Int = 1, code: String? = nil) -> Candidate {
        Candidate(solutionID: id, score: score, passes: passes, key: PairRules.key(code ?? "return \(id)"))
    }

    func testTopAgainstBottomAndTopKWithoutReuse() {
        let candidates = [candidate(1, 5), candidate(2, 9), candidate(3, 1), candidate(4, 7), candidate(5, 3)]
        var policy = PairPolicy()
        let (one, _) = PairRules.correctness(candidates, policy: policy)
        XCTAssertEqual(one.map { [$0.chosen, $0.rejected] }, [[2, 3]])
        XCTAssertEqual(one[0].margin, 1)
        policy.pairsPerProblem = 3
        let (many, _) = PairRules.correctness(candidates, policy: policy)
        XCTAssertEqual(many.map { [$0.chosen, $0.rejected] }, [[2, 3], [4, 5]], "5 candidates give 2 disjoint pairs")
        XCTAssertEqual(many[1].margin, (7 - 3) / 8.0)
    }

    func testMinimumMarginChosenMustPassIdenticalCodeAndTies() {
        var policy = PairPolicy()
        policy.pairsPerProblem = 2
        policy.minMargin = 0.5
        let (pairs, reasons) = PairRules.correctness([candidate(1, 10), candidate(2, 6), candidate(3, 5), candidate(4, 0)], policy: policy)
        XCTAssertEqual(pairs.map(\.chosen), [1])
        XCTAssertEqual(reasons, [.marginTooSmall], "6 vs 5 is 0.1 of the range")
        XCTAssertEqual(PairRules.correctness([candidate(1, 9, passes: 0), candidate(2, 1)], policy: PairPolicy()).1, [.chosenPassesNothing])
        let sameProgram = [candidate(1, 9, code: "def f(x):\n    return x  # fast\n"), candidate(2, 1, code: "def f(x):\n\n    return   x\n")]
        XCTAssertEqual(PairRules.correctness(sameProgram, policy: PairPolicy()).1, [.identicalCode])
        // Candidates made from their code (as `codedpo pairs` makes them) normalize it when compared.
        let fromCode = [Candidate(solutionID: 1, score: 9, passes: 1, code: "def f(x):\n    return x  # fast\n"),
                        Candidate(solutionID: 2, score: 1, passes: 1, code: "def f(x):\n\n    return   x\n")]
        XCTAssertEqual(fromCode[0].key, PairRules.key("def f(x):\n    return x  # fast\n"))
        XCTAssertEqual(PairRules.correctness(fromCode, policy: PairPolicy()).1, [.identicalCode])
        XCTAssertEqual(PairRules.correctness([candidate(1, 3), candidate(2, 3)], policy: PairPolicy()).1, [.allTied])
        XCTAssertEqual(PairRules.correctness([candidate(1, 3)], policy: PairPolicy()).1, [.tooFewSolutions])
    }

    /// `codedpo pairs` looks up `passes` only for the chosen side: no other candidate's
    /// `passes` changes what the rules give.
    func testOnlyTheChosenSidesPassesMatter() {
        var policy = PairPolicy()
        for perProblem in [1, 2, 3] {
            policy.pairsPerProblem = perProblem
            let candidates = [candidate(1, 5), candidate(2, 9), candidate(3, 1), candidate(4, 7), candidate(5, 3), candidate(6, 9)]
            let chosen = PairRules.chosenSide(candidates, policy: policy)
            XCTAssertEqual(chosen, Array([2, 6, 4].prefix(perProblem)))
            for failing in [[], chosen, candidates.map(\.solutionID)] {
                let known = candidates.map { c -> Candidate in
                    var c = c
                    c.passes = failing.contains(c.solutionID) ? 0 : 1
                    return c
                }
                let others = known.map { c -> Candidate in
                    var c = c
                    if !chosen.contains(c.solutionID) { c.passes = 1 - c.passes }
                    return c
                }
                XCTAssertEqual(PairRules.correctness(known, policy: policy).0, PairRules.correctness(others, policy: policy).0)
                XCTAssertEqual(PairRules.correctness(known, policy: policy).1, PairRules.correctness(others, policy: policy).1)
            }
        }
        policy.chosenMustPass = false
        XCTAssertEqual(PairRules.chosenSide([candidate(1, 5), candidate(2, 9)], policy: policy), [])
    }

    func testEfficiencyNeedsSpeedupAndAGapBeyondNoise() {
        func timed(_ id: Int64, _ median: Double, _ spread: Double) -> PairRules.Timed {
            PairRules.Timed(solutionID: id, median: median, spread: spread, key: "\(id)")
        }
        let policy = PairPolicy()
        let (pairs, _) = PairRules.efficiency([timed(1, 2.0, 0.1), timed(2, 1.0, 0.1), timed(3, 1.5, 0.1)], policy: policy)
        XCTAssertEqual(pairs.map { [$0.chosen, $0.rejected] }, [[2, 1]])
        XCTAssertEqual(pairs[0].margin, 2)
        XCTAssertEqual(PairRules.efficiency([timed(1, 1.05, 0.0), timed(2, 1.0, 0.0)], policy: policy).1, [.speedupTooSmall])
        XCTAssertEqual(PairRules.efficiency([timed(1, 2.0, 0.6), timed(2, 1.0, 0.5)], policy: policy).1, [.withinNoise])
        XCTAssertEqual(PairRules.efficiency([timed(1, 2.0, 0.0)], policy: policy).1, [.noTimedSolutions])
    }

    /// Pairs by evidence: the fastest solution's measurements are too spread to order it
    /// against the slowest, but a steady solution 2x faster than the slowest can be: the pair
    /// is built from it instead of being lost to one noisy solution.
    func testEfficiencyPairIsNotLostToOneNoisySolution() {
        func timed(_ id: Int64, _ median: Double, _ spread: Double) -> PairRules.Timed {
            PairRules.Timed(solutionID: id, median: median, spread: spread, key: "\(id)")
        }
        let noisyFastest = timed(1, 0.5, 2.0), steady = timed(2, 1.0, 0.05), slow = timed(3, 2.0, 0.05)
        let (pairs, reasons) = PairRules.efficiency([noisyFastest, steady, slow], policy: PairPolicy())
        XCTAssertEqual(pairs.map { [$0.chosen, $0.rejected] }, [[2, 3]])
        XCTAssertEqual(reasons, [])
        // Two slots: the second takes what is left, or says why not.
        var two = PairPolicy()
        two.pairsPerProblem = 2
        let four = [timed(1, 1.0, 0.0), timed(2, 1.2, 0.0), timed(3, 1.5, 0.0), timed(4, 4.0, 0.0)]
        XCTAssertEqual(PairRules.efficiency(four, policy: two).0.map { [$0.chosen, $0.rejected] }, [[1, 4], [2, 3]])
        let (one, why) = PairRules.efficiency([timed(1, 1.0, 0.0), timed(2, 1.05, 0.0), timed(3, 4.0, 0.0)], policy: two)
        XCTAssertEqual(one.map { [$0.chosen, $0.rejected] }, [[1, 3]])
        XCTAssertEqual(why, [], "one solution left over: no second slot")
        // Instruction counts have no spread: any gap above the minimum speedup is evidence.
        XCTAssertEqual(PairRules.efficiency([timed(1, 100, 0), timed(2, 111, 0)], policy: PairPolicy()).0.count, 1)
    }

    /// The paper's numbers: speedup quantiles and the share at least 10% faster.
    func testSpeedupDistribution() {
        let d = SpeedupDistribution([1.05, 2, 4, 8, 250])
        XCTAssertEqual(d.count, 5)
        XCTAssertEqual(d.median, 4)
        XCTAssertEqual(d.p25, 2)
        XCTAssertEqual(d.max, 250)
        XCTAssertEqual(d.optimizedShare ?? 0, 0.8, accuracy: 1e-12)
        XCTAssertEqual(d.geometricMean ?? 0, pow(1.05 * 2 * 4 * 8 * 250, 0.2), accuracy: 1e-9)
        XCTAssertEqual(d.json["optimized_share"], .double(0.8))
        XCTAssertNil(SpeedupDistribution([]).median)
        XCTAssertEqual(SpeedupDistribution([]).json["pairs"], .int(0))
    }
}

final class ExportTests: XCTestCase {
    var db: Database!
    var folder: URL!
    /// Problem p's prompt (distinct, so unpaired formats do not merge rows across problems).
    func prompt(_ p: Int) -> String { "def add(a, b):\n    \"\"\"Add two numbers (case \(p)).\"\"\"\n" }
    var prompt: String { prompt(0) }

    override func setUpWithError() throws {
        db = try migratedDatabase(self)
        folder = URL(fileURLWithPath: temporaryDatabasePath(self)).deletingLastPathComponent()
        let runID = try RunLog(db).start(command: "test", argv: [])
        try db.run("INSERT INTO execution_configs (content_hash, interpreter, interpreter_version, isolation, timeout_s, load_timeout_s, output_limit_bytes, parameters, run_id) VALUES ('c', 'p', '3', 'process', 1, 5, 100, '{}', ?)", runID)
        try db.run("INSERT INTO score_runs (run_id, strategy, config_id) VALUES (?, 'codet', 1)", runID)
        for p in 0..<10 {
            try db.run("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES (?, ?, ?, 'add', ?)", "P/\(p)", "h\(p)", prompt(p), runID)
            let problem = db.lastInsertRowID
            for (i, body) in ["    return a + b\n", "    return a - b\n"].enumerated() {
                try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, 1, ?)", problem, "s\(p)-\(i)", Normalize.text(prompt(p) + body), runID)
            }
        }
        try db.run("INSERT INTO pair_sets (name, run_id, score_run_id, policy) VALUES ('set', ?, 1, '{\"min_margin\":0}')", runID)
        for p in 0..<10 {
            try db.run("INSERT INTO pairs (pair_set_id, problem_id, kind, chosen_solution_id, rejected_solution_id, chosen_score, rejected_score, margin) VALUES (1, ?, 'correctness', ?, ?, 2.0, 1.0, 0.75)",
                       p + 1, 2 * p + 1, 2 * p + 2)
        }
    }

    func export(_ format: ExportFormat, name: String? = nil, configure: (inout ExportOptions) -> Void = { _ in }) throws -> (ExportReport, [JSON]) {
        var options = ExportOptions(format: format, out: folder.appendingPathComponent("\(name ?? format.rawValue).jsonl").path)
        configure(&options)
        let report = try Exporter(db: db, runID: try RunLog(db).start(command: "export", argv: [])).export(pairSet: "set", options: options)
        let lines = try String(contentsOfFile: report.files[0].path, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        return (report, lines)
    }

    func testTRLStandardFormatHasTheCompletionOnly() throws {
        let (report, lines) = try export(.trl)
        XCTAssertEqual(lines.count, 10)
        XCTAssertEqual(lines[0], JSON.object([("prompt", .string(prompt)), ("chosen", "    return a + b\n"), ("rejected", "    return a - b\n")]))
        XCTAssertEqual(report.files[0].sha256, try LineReader.digest(path: report.files[0].path).sha256)
    }

    func testTRLConversationalFormat() throws {
        let line = try export(.trlChat).1[0]
        XCTAssertEqual(line["prompt"]?.arrayValue?.first?["role"], "user")
        XCTAssertEqual(line["prompt"]?.arrayValue?.first?["content"]?.stringValue?.contains(prompt), true)
        XCTAssertEqual(line["chosen"], .array([.object([("role", "assistant"), ("content", .string("```python\n" + prompt + "    return a + b\n```"))])]))
        XCTAssertEqual(line["rejected"]?.arrayValue?.first?["role"], "assistant")
    }

    func testKTOIsUnpairedLabelledAndBalanced() throws {
        let (report, lines) = try export(.kto)
        XCTAssertEqual(lines.count, 20)
        XCTAssertEqual(lines[0], JSON.object([("prompt", .string(prompt)), ("completion", "    return a + b\n"), ("label", true)]))
        XCTAssertEqual(lines[1]["label"], false)
        XCTAssertEqual(report.files[0].desirable, 10)
        XCTAssertEqual(report.files[0].undesirable, 10)
    }

    func testSFTLLaMAFactoryAndOpenRLHF() throws {
        XCTAssertEqual(try export(.sft).1[0], JSON.object([("prompt", .string(prompt)), ("completion", "    return a + b\n")]))
        let (report, lines) = try export(.llamafactory)
        XCTAssertEqual(lines[0], JSON.object([("instruction", .string(prompt)), ("input", ""), ("chosen", "    return a + b\n"), ("rejected", "    return a - b\n")]))
        let info = try JSON.parse(try String(contentsOfFile: report.extraFiles[0], encoding: .utf8))
        XCTAssertEqual(info["codedpo_set"]?["ranking"], true)
        XCTAssertEqual(info["codedpo_set"]?["file_name"], "llamafactory.jsonl")
        XCTAssertEqual(info["codedpo_set"]?["columns"]?["prompt"], "instruction")
        XCTAssertEqual(try export(.openrlhf).1[0]["margin"], .double(0.75))
    }

    func testManifestDescribesTheExportAndItIsRecorded() throws {
        let (report, _) = try export(.trl)
        let manifest = try JSON.parse(try String(contentsOfFile: report.manifestPath, encoding: .utf8))
        XCTAssertEqual(manifest["pair_set"]?["name"], "set")
        XCTAssertEqual(manifest["pair_set"]?["policy"]?["min_margin"], .int(0))
        XCTAssertEqual(manifest["score_run"]?["strategy"], "codet")
        XCTAssertEqual(manifest["tool_version"], .string(CodeDPO.version))
        XCTAssertEqual(manifest["files"]?.arrayValue?.first?["sha256"], .string(report.files[0].sha256))
        XCTAssertEqual(manifest["files"]?.arrayValue?.first?["rows"], 10)
        XCTAssertEqual(try db.rows("SELECT format, count, sha256 FROM exports").map(\.values), [[.text("trl"), .integer(10), .text(report.files[0].sha256)]])
    }

    func testSplitIsByProblemAndDeterministic() throws {
        let (first, _) = try export(.trl, name: "a") { $0.validationShare = 0.3; $0.shuffleSeed = 5 }
        let (second, _) = try export(.trl, name: "b") { $0.validationShare = 0.3; $0.shuffleSeed = 5 }
        XCTAssertEqual(first.files.map(\.split), ["train", "validation"])
        XCTAssertEqual(first.files.map(\.sha256), second.files.map(\.sha256), "same seed, same files")
        XCTAssertEqual(first.files.map(\.rows).reduce(0, +), 10)
        let validation = (0..<10).filter { Exporter.isValidation(problem: "P/\($0)", share: 0.3, seed: 5) }.count
        XCTAssertEqual(first.files[1].rows, validation)
        let (other, _) = try export(.trl, name: "c") { $0.validationShare = 0.3; $0.shuffleSeed = 6 }
        XCTAssertEqual(other.files.map(\.rows).reduce(0, +), 10)
        let (limited, lines) = try export(.trl, name: "d") { $0.limit = 4; $0.shuffleSeed = 1 }
        XCTAssertEqual(limited.files[0].rows, 4)
        XCTAssertEqual(lines.count, 4)
    }

    func testSelfCheckCatchesBrokenLines() {
        XCTAssertNil(ExportText.problem(in: #"{"prompt":"p","chosen":"a","rejected":"b"}"#, format: .trl))
        XCTAssertEqual(ExportText.problem(in: #"{"prompt":"p","chosen":"","rejected":"b"}"#, format: .trl), "\"chosen\" is empty")
        XCTAssertEqual(ExportText.problem(in: #"{"prompt":"p","chosen":"a"}"#, format: .trl), "missing \"rejected\"")
        XCTAssertEqual(ExportText.problem(in: "not json", format: .trl), "not a JSON object")
        let repeated = JSON.object([("prompt", .string(prompt)), ("chosen", .string(prompt + "    return a + b\n")), ("rejected", "x")]).text
        XCTAssertEqual(ExportText.problem(in: repeated, format: .trl), "\"chosen\" starts with the prompt (the trainer would see it twice)")
    }

    func testCompletionBoundaries() {
        // Continuing the stored prompt: the rest. Continuing another version of it (CodeT's
        // prompt without examples): the body after the docstring. A chat answer: all of it.
        XCTAssertEqual(ExportText.completion(code: prompt + "    return 1\n", prompt: prompt), "    return 1\n")
        let other = "def add(a, b):\n    \"\"\"Add.\n\n    Longer.\n    \"\"\"\n    return a + b\n"
        XCTAssertEqual(ExportText.completion(code: other, prompt: prompt, entryPoint: "add"), "    return a + b\n")
        let chat = "import math\n\ndef add(a, b):\n    return a + b\n"
        XCTAssertEqual(ExportText.completion(code: chat, prompt: prompt, entryPoint: "add"), chat)
    }
}

final class PairViewTextTests: XCTestCase {
    /// Side by side: no line of either program runs past its column.
    func testBothColumnsAreCutAtTheWidth() {
        let long = "    return " + String(repeating: "x + ", count: 30) + "1"
        let chosen = PairView.Side(solution: 1, code: "def f(x):\n" + long, score: 1, generatedPassed: 3, generatedTotal: 3, groundTruth: nil, samples: 1)
        let rejected = PairView.Side(solution: 2, code: "def f(x):\n" + long + " + 1", score: 0, generatedPassed: 0, generatedTotal: 3, groundTruth: nil, samples: 1)
        let view = PairView(pair: 1, problem: "P/1", kind: "correctness", margin: 1, chosen: chosen, rejected: rejected)
        let lines = view.text(width: 30).split(separator: "\n").drop { !$0.hasPrefix("CHOSEN") }.dropFirst(2)
        XCTAssertEqual(lines.count, 2)
        for line in lines {
            XCTAssertLessThanOrEqual(line.count, 30 + 3 + 30, String(line))
        }
        XCTAssertTrue(lines.last!.hasSuffix("…"))
    }
}
