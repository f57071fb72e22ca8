import XCTest

@testable import CodeDPOKit

/// Decontamination on real benchmarks: a training set that copies HumanEval is fully
/// flagged; MBPP against HumanEval is flagged only where the matched text really is in both;
/// the index answers exactly as the naive baseline.
final class DecontaminationTests: XCTestCase {
    func humanEval() throws -> [BenchmarkItem] {
        guard let data = sharedData else { throw XCTSkip("../shared/data is absent: real-data decontamination tests skipped") }
        return try BenchmarkFile.read(data.appendingPathComponent("humaneval/HumanEval.jsonl.gz").path)
    }

    func testTrainingSetWithHumanEvalPromptsIsFullyFlagged() throws {
        let items = try humanEval()
        XCTAssertEqual(items.count, 164)
        let index = BenchmarkIndex(items: items, parameters: MatchParameters())
        let naive = NaiveMatcher(items: items, index: index)
        for (number, item) in items.enumerated() {
            // A training problem that reuses the prompt with other indentation and a new name.
            let copied = item.prompt.replacingOccurrences(of: "    ", with: "\t").replacingOccurrences(of: "def ", with: "def my_")
            let text = MatchText("# task\n" + copied, whitelist: index.parameters.whitelist)
            let matches = index.matches(text)
            XCTAssertTrue(matches.contains { $0.benchmarkItem == number && $0.kind == .substring }, "\(item.externalID) not flagged")
            XCTAssertEqual(matches, naive.matches(text), item.externalID)
        }
    }

    func testMBPPAgainstHumanEvalFlagsOnlyRealMatches() throws {
        let items = try humanEval()
        let mbpp = try BenchmarkFile.read(sharedData!.appendingPathComponent("codet/mbpp_sanitized_for_code_generation.jsonl").path)
        let index = BenchmarkIndex(items: items, parameters: MatchParameters())
        let naive = NaiveMatcher(items: items, index: index)
        var flagged = Set<String>()
        for problem in mbpp {
            for source in [problem.prompt, problem.prompt + (problem.solution ?? "")] {
                let text = MatchText(source, whitelist: index.parameters.whitelist)
                let matches = index.matches(text)
                XCTAssertEqual(matches, naive.matches(text), problem.externalID)
                for match in matches {
                    flagged.insert(problem.externalID)
                    let benchmark = items[match.benchmarkItem]
                    let sides = [benchmark.docstring ?? benchmark.prompt, benchmark.solution ?? ""].map { MatchText($0, whitelist: index.parameters.whitelist) }
                    switch match.kind {
                    case .substring:
                        XCTAssertTrue(text.contains(Array(match.text.utf8)), "\(problem.externalID): «\(match.text)» is not in the item")
                    case .ngram:
                        let words = match.text.split(separator: " ").count
                        XCTAssertEqual(words, 10)
                        func has(_ t: MatchText) -> Bool { t.words.count >= 10 && (0...(t.words.count - 10)).contains { t.wordText($0, count: 10) == match.text } }
                        XCTAssertTrue(has(text), "\(problem.externalID): «\(match.text)» is not in the item")
                        XCTAssertTrue(sides.contains(where: has), "«\(match.text)» is not in \(benchmark.externalID)")
                        XCTAssertFalse(match.text.split(separator: " ").allSatisfy { $0.allSatisfy(\.isNumber) }, "a run of numbers counted")
                    }
                }
            }
        }
        // Clean data: a handful of shared code idioms at most, never most of the set.
        XCTAssertLessThan(flagged.count, mbpp.count / 20, "\(flagged.sorted())")
    }

    func testWhitelistAndNgramSize() {
        let item = BenchmarkItem(externalID: "B/0", prompt: "", docstring: nil,
                                 solution: "return True\nalpha beta gamma delta epsilon\n")
        var parameters = MatchParameters()
        parameters.ngram = 5
        let index = BenchmarkIndex(items: [item], parameters: parameters)
        // The whitelisted line neither counts nor breaks the run of words around it.
        let hit = index.matches(MatchText("x = 1\nreturn True\nalpha  beta gamma delta epsilon\n", whitelist: parameters.whitelist))
        XCTAssertEqual(hit.map(\.kind), [.ngram])
        XCTAssertEqual(hit.first?.text, "alpha beta gamma delta epsilon")
        XCTAssertEqual(index.matches(MatchText("return True\nreturn False\n", whitelist: parameters.whitelist)), [])
        parameters.ngram = 6
        XCTAssertEqual(BenchmarkIndex(items: [item], parameters: parameters).matches(MatchText("alpha beta gamma delta epsilon", whitelist: parameters.whitelist)), [])
    }

    func testMatchesAreStoredPerItemWithTheirProblem() throws {
        let db = try migratedDatabase(self)
        let folder = URL(fileURLWithPath: db.path).deletingLastPathComponent()
        let bench = folder.appendingPathComponent("b.jsonl").path
        let docstring = "Return the number of vowels in the given word, counting y only at the end of the word."
        try Data((JSON.object([("task_id", "B/0"), ("prompt", .string("def vowels(s):\n    \"\"\"\(docstring)\n    \"\"\"\n"))]).text + "\n").utf8)
            .write(to: URL(fileURLWithPath: bench))
        let runID = try RunLog(db).start(command: "test", argv: [])
        try db.run("INSERT INTO seeds (content_hash, content, language, run_id) VALUES ('h', ?, 'python', ?)", "# " + docstring, runID)
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, seed_id, run_id) VALUES ('P/0', 'a', 'Count vowels.', 1, ?)", runID)
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES ('P/1', 'b', 'Sum a list.', ?)", runID)
        try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, run_id) VALUES (2, 'generated', 't', ?, ?)", "# \(docstring)\nassert True", runID)
        var options = DecontaminationOptions()
        options.benchmarks = [(nil, bench)]
        let report = try Decontaminator(db: db, runID: runID).run(options)
        XCTAssertEqual(report.benchmarks.map(\.name), ["b"])
        XCTAssertEqual(report.contaminatedProblems, 2)
        let rows = try db.rows("SELECT item_kind, item_id, problem_id, match FROM contamination_matches ORDER BY item_kind, match")
        XCTAssertEqual(rows.map { "\($0["item_kind"].string!) \($0["item_id"].int!) \($0["problem_id"].int ?? 0) \($0["match"].string!)" },
                       ["seed 1 0 ngram", "seed 1 0 substring", "test 1 2 ngram", "test 1 2 substring"])
        XCTAssertEqual(try db.rows("SELECT problem_id FROM contaminated_problems ORDER BY 1").map { $0[0].int! }, [1, 2])
        // The same benchmark file again is the same benchmark, not a second copy.
        _ = try Decontaminator(db: db, runID: runID).run(options)
        XCTAssertEqual(try db.int("SELECT count(*) FROM benchmark_items"), 1)
    }
}
