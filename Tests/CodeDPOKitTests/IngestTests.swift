import XCTest

@testable import CodeDPOKit

/// Import rules on small files written by the tests: identity, provenance, bad input.
final class IngestTests: XCTestCase {
    var db: Database!
    var folder: URL!

    override func setUpWithError() throws {
        db = try migratedDatabase(self)
        folder = URL(fileURLWithPath: temporaryDatabasePath(self, name: "unused")).deletingLastPathComponent()
    }

    func write(_ name: String, _ text: String) -> String {
        let url = folder.appendingPathComponent(name)
        try! Data(text.utf8).write(to: url)
        return url.path
    }

    func write(_ name: String, bytes: [UInt8]) -> String {
        let url = folder.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url.path
    }

    @discardableResult
    func importFiles(_ kind: ImportKind, _ files: [String], format: ImportFormat = .jsonl,
                     configure: (inout ImportOptions) -> Void = { _ in }) throws -> ImportReport {
        var options = ImportOptions(kind: kind)
        options.format = format
        configure(&options)
        let runID = options.dryRun ? nil : try RunLog(db).start(command: "import", argv: [])
        return try Importer.run(db: db, runID: runID, files: files, options: options)
    }

    func count(_ table: String) throws -> Int { try db.int("SELECT count(*) FROM \(table)")! }

    func rowCounts() throws -> [Int] {
        try ["problems", "solutions", "solution_sources", "tests", "test_sources", "seeds", "sources"].map(count)
    }

    func addProblems() throws {
        try importFiles(.problems, [write("problems.jsonl", """
            {"id": "P/1", "prompt": "def add(a, b):\\n", "entry_point": "add", "difficulty": "easy"}
            {"id": "P/2", "prompt": "def neg(a):\\n", "entry_point": "neg"}

            """)])
    }

    // MARK: Identity and provenance

    func testSameCodeFromTwoSourcesIsOneSolutionWithTwoProvenanceRecords() throws {
        try addProblems()
        let first = write("a.jsonl", #"{"problem": "P/1", "code": "def add(a, b):\n    return a + b\n", "model": "m1"}"# + "\n")
        // The same program with CRLF line ends and trailing spaces, sampled 3 times.
        let second = write("b.jsonl", #"{"problem": "P/1", "code": "\r\ndef add(a, b):   \r\n    return a + b\r\n\r\n", "count": 3}"# + "\n")
        try importFiles(.solutions, [first])
        let report = try importFiles(.solutions, [second])
        XCTAssertEqual(report.added["solutions"], nil)
        XCTAssertEqual(report.files[0].merged, 1)
        XCTAssertEqual(try count("solutions"), 1)
        XCTAssertEqual(try count("solution_sources"), 2)
        XCTAssertEqual(try db.int("SELECT sample_count FROM solutions"), 4)
        XCTAssertEqual(try db.scalar("SELECT code FROM solutions"), .text("def add(a, b):\n    return a + b\n"))
        XCTAssertEqual(try db.rows("SELECT s.uri, ss.locator, ss.count, ss.model FROM solution_sources ss JOIN sources s ON s.id = ss.source_id ORDER BY ss.source_id").map(\.values),
                       [[.text(first), .text("1"), .integer(1), .text("m1")], [.text(second), .text("1"), .integer(3), .null]])
    }

    func testReimportAddsNothingAndSaysSo() throws {
        try addProblems()
        let file = write("s.jsonl", #"{"problem": "P/1", "code": "def add(a, b): return a + b"}"# + "\n" + #"{"problem": "P/2", "code": "def neg(a): return -a"}"# + "\n")
        try importFiles(.solutions, [file])
        let before = try rowCounts()
        let again = try importFiles(.solutions, [file])
        XCTAssertEqual(try rowCounts(), before)
        XCTAssertTrue(again.files[0].sourceWasKnown)
        XCTAssertEqual(again.files[0].unchanged, 2)
        XCTAssertEqual(again.json["files"]?.arrayValue?.first?["already_imported"], .bool(true))
        XCTAssertEqual(try db.int("SELECT sum(sample_count) FROM solutions"), 2)
    }

    func testExtraFieldsGoToMetadataAndProblemsKeepTheirIds() throws {
        try addProblems()
        XCTAssertEqual(try db.scalar("SELECT metadata FROM problems WHERE external_id = 'P/1'"), .text(#"{"difficulty":"easy"}"#))
        XCTAssertEqual(try db.scalar("SELECT language FROM problems WHERE external_id = 'P/2'"), .text("python"))
    }

    func testSameProblemIdWithAnotherPromptIsRefused() throws {
        try addProblems()
        let file = write("conflict.jsonl", #"{"id": "P/1", "prompt": "def other():\n", "entry_point": "other"}"# + "\n")
        XCTAssertThrowsMessage(try importFiles(.problems, [file]),
                               contains: ["conflict.jsonl:1", "problem \"P/1\" already exists with a different prompt", "Nothing was imported"])
    }

    func testTestsKeepTheirKind() throws {
        try addProblems()
        try importFiles(.tests, [write("t.jsonl", """
            {"problem": "P/1", "code": "assert add(1, 2) == 3"}
            {"problem": "P/1", "code": "assert add(1, 2) == 3", "kind": "ground_truth"}
            {"problem": "P/1", "code": "assert add(1, 2) == 3"}
            """)])
        XCTAssertEqual(try db.rows("SELECT kind, sample_count FROM tests ORDER BY kind").map(\.values),
                       [[.text("generated"), .integer(2)], [.text("ground_truth"), .integer(1)]])
    }

    // MARK: Bad input: a clear error naming file and line, and nothing imported

    func assertRefused(_ name: String, _ text: String, kind: ImportKind = .solutions, expect fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line,
                       configure: (inout ImportOptions) -> Void = { _ in }) throws {
        let path = write(name, text)
        try assertRefused(path: path, kind: kind, expect: fragments, file: file, line: line, configure: configure)
    }

    func assertRefused(path: String, kind: ImportKind = .solutions, expect fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line,
                       configure: (inout ImportOptions) -> Void = { _ in }) throws {
        let before = try rowCounts()
        XCTAssertThrowsMessage(try importFiles(kind, [path], configure: configure), contains: fragments, file: file, line: line)
        XCTAssertEqual(try rowCounts(), before, "a refused import must add no row", file: file, line: line)
    }

    let good = #"{"problem": "P/1", "code": "def add(a, b): return a + b"}"#

    func testMalformedJSONNamesFileLineAndColumn() throws {
        try addProblems()
        try assertRefused("bad.jsonl", good + "\n" + #"{"problem": "P/1", "code": "x" "#  + "\n",
                          expect: ["bad.jsonl:2: invalid JSON", "column", "Nothing was imported", "--skip-bad"])
    }

    func testMissingFieldIsNamed() throws {
        try addProblems()
        try assertRefused("missing.jsonl", good + "\n" + #"{"problem": "P/1"}"# + "\n", expect: ["missing.jsonl:2: missing field \"code\""])
        try assertRefused("wrongtype.jsonl", #"{"problem": "P/1", "code": 42}"# + "\n", expect: ["wrongtype.jsonl:1: field \"code\" must be a string, found a number"])
        try assertRefused("count.jsonl", #"{"problem": "P/1", "code": "x = 1", "count": 0}"# + "\n", expect: ["field \"count\" must be a whole number >= 1"])
    }

    func testUnknownProblemReferenceSaysToImportProblemsFirst() throws {
        try addProblems()
        try assertRefused("unknown.jsonl", good + "\n" + #"{"problem": "P/404", "code": "x = 1"}"# + "\n",
                          expect: ["unknown.jsonl:2: unknown problem \"P/404\"", "import the problems first"])
    }

    func testInvalidUTF8IsNamed() throws {
        try addProblems()
        var bytes = Array((good + "\n").utf8)
        bytes += Array(#"{"problem": "P/1", "code": "x = '"#.utf8) + [0xC3, 0x28] + Array(#"'"}"#.utf8) + [0x0A]
        try assertRefused(path: write("latin.jsonl", bytes: bytes), expect: ["latin.jsonl:2: invalid UTF-8"])
    }

    func testEmptyFileAndBlankFileAreErrors() throws {
        try addProblems()
        try assertRefused("empty.jsonl", "", expect: ["empty.jsonl is empty"])
        try assertRefused("blank.jsonl", "\n  \n\n", expect: ["blank.jsonl has only blank lines"])
    }

    func testHugeLineIsReportedWithoutBeingHeldInMemory() throws {
        try addProblems()
        let huge = #"{"problem": "P/1", "code": ""# + String(repeating: "x", count: 300_000) + #""}"#
        try assertRefused("huge.jsonl", good + "\n" + huge + "\n", expect: ["huge.jsonl:2: line is 300030 bytes, longer than the limit of 100000 bytes"]) {
            $0.maxLineBytes = 100_000
        }
        // The same line is fine under the default limit.
        XCTAssertEqual(try importFiles(.solutions, [write("huge-ok.jsonl", huge + "\n")]).added["solutions"], 1)
    }

    func testOneBadFileKeepsEveryFileOut() throws {
        try addProblems()
        let fine = write("fine.jsonl", good + "\n")
        let broken = write("broken.jsonl", "{nope\n")
        let before = try rowCounts()
        XCTAssertThrowsMessage(try importFiles(.solutions, [fine, broken]), contains: ["broken.jsonl:1"])
        XCTAssertEqual(try rowCounts(), before)
    }

    func testSkipBadImportsTheRestAndStoresBadLinesNowhere() throws {
        try addProblems()
        let file = write("mixed.jsonl", [
            good,
            #"{"problem": "P/404", "code": "y = 2"}"#,
            "not json",
            #"{"problem": "P/2", "code": "def neg(a): return -a"}"#,
            #"{"problem": "P/2"}"#,
        ].joined(separator: "\n") + "\n")
        let report = try importFiles(.solutions, [file]) { $0.skipBad = true }
        XCTAssertEqual(report.files[0].badItems, 3)
        XCTAssertEqual(report.files[0].firstBad.count, 3)
        XCTAssertTrue(report.files[0].firstBad[0].hasSuffix("mixed.jsonl:2: unknown problem \"P/404\": import the problems first (codedpo import problems ...)"), report.files[0].firstBad[0])
        XCTAssertEqual(report.added["solutions"], 2)
        XCTAssertEqual(try db.int("SELECT count(*) FROM solutions WHERE code LIKE '%y = 2%'"), 0)
        XCTAssertEqual(try db.rows("SELECT locator FROM solution_sources ORDER BY CAST(locator AS INTEGER)").map { $0[0] }, [.text("1"), .text("4")])
    }

    func testDryRunReportsExactlyWhatARealRunAddsAndChangesNothing() throws {
        try addProblems()
        let file = write("s.jsonl", good + "\n" + good + "\n" + #"{"problem": "P/2", "code": "def neg(a): return -a"}"# + "\n")
        let runsBefore = try count("runs")
        let before = try rowCounts()
        let dry = try importFiles(.solutions, [file]) { $0.dryRun = true }
        XCTAssertEqual(try rowCounts(), before)
        XCTAssertEqual(try count("runs"), runsBefore, "a dry run records no run: it changes nothing")
        let real = try importFiles(.solutions, [file])
        XCTAssertEqual(dry.added, real.added)
        XCTAssertEqual(dry.added["solutions"], 2)
        XCTAssertTrue(dry.dryRun)
    }

    // MARK: Seeds

    func testSeedsFromADirectoryAreTopLevelFunctionsAndClasses() throws {
        let tree = folder.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("pkg/tests"), withIntermediateDirectories: true)
        try Data("""
            import os

            def alpha(x):
                return x + 1


            @decorator
            def beta():
                pass

            class Gamma:
                def method(self):
                    return 1
            """.utf8).write(to: tree.appendingPathComponent("pkg/mod.py"))
        try Data("def test_alpha():\n    assert True\n".utf8).write(to: tree.appendingPathComponent("pkg/tests/test_mod.py"))
        try Data("function f() { return 1; }\n".utf8).write(to: tree.appendingPathComponent("pkg/util.js"))
        try Data("def broken(:\n".utf8).write(to: tree.appendingPathComponent("pkg/broken.py"))
        try Data([0xFF, 0x00, 0x01]).write(to: tree.appendingPathComponent("pkg/data.py"))

        let report = try importFiles(.seeds, [tree.path]) { $0.exclude = ["tests/**", "**/tests/*"] }
        let seeds = try db.rows("SELECT s.kind, s.name, s.language, ss.path, ss.start_line, ss.end_line FROM seeds s JOIN seed_sources ss ON ss.seed_id = s.id ORDER BY ss.path, ss.start_line")
        XCTAssertEqual(seeds.map(\.values), [
            [.text("file"), .text("broken.py"), .text("python"), .text("pkg/broken.py"), .integer(1), .integer(2)],
            [.text("function"), .text("alpha"), .text("python"), .text("pkg/mod.py"), .integer(3), .integer(4)],
            [.text("function"), .text("beta"), .text("python"), .text("pkg/mod.py"), .integer(7), .integer(9)],
            [.text("class"), .text("Gamma"), .text("python"), .text("pkg/mod.py"), .integer(11), .integer(13)],
            [.text("file"), .text("util.js"), .text("javascript"), .text("pkg/util.js"), .integer(1), .integer(2)],
        ])
        XCTAssertEqual(try db.scalar("SELECT content FROM seeds WHERE name = 'beta'"), .text("@decorator\ndef beta():\n    pass\n"))
        XCTAssertTrue(report.files[0].notes.contains { $0.contains("not UTF-8") }, "\(report.files[0].notes)")
        XCTAssertTrue(report.files[0].notes.contains { $0.contains("broken.py") }, "\(report.files[0].notes)")

        let again = try importFiles(.seeds, [tree.path]) { $0.exclude = ["tests/**", "**/tests/*"] }
        XCTAssertEqual(again.added["seeds"], nil)
        XCTAssertEqual(try count("seeds"), 5)
    }

    func testSeedsFromJSONL() throws {
        let file = write("seeds.jsonl", #"{"content": "def f():\n    return 1\n", "language": "python", "source": "repo/a.py#L1-L2", "stars": 5}"# + "\n")
        try importFiles(.seeds, [file])
        XCTAssertEqual(try db.rows("SELECT s.language, ss.locator, ss.metadata FROM seeds s JOIN seed_sources ss ON ss.seed_id = s.id").map(\.values),
                       [[.text("python"), .text("repo/a.py#L1-L2"), .text(#"{"stars":5}"#)]])
    }

    func testGlobMatching() {
        XCTAssertTrue(SeedScanner.matches("*.py", "a/b/c.py"))
        XCTAssertFalse(SeedScanner.matches("*.py", "a/b/c.pyc"))
        XCTAssertTrue(SeedScanner.matches("tests/**", "tests/x/y.py"))
        XCTAssertFalse(SeedScanner.matches("tests/**", "src/tests.py"))
        XCTAssertTrue(SeedScanner.matches("src/*.py", "src/a.py"))
        XCTAssertFalse(SeedScanner.matches("src/*.py", "src/sub/a.py"))
    }
}

final class NormalizeAndReaderTests: XCTestCase {
    func testNormalization() {
        XCTAssertEqual(Normalize.text("\n\n  \ndef f():  \r\n\treturn 1\t\r\n\n\n"), "def f():\n\treturn 1\n")
        XCTAssertEqual(Normalize.text("a\r\rb"), "a\n\nb\n")
        XCTAssertEqual(Normalize.text("a\n\n\nb"), "a\n\n\nb\n", "interior blank lines are kept")
        XCTAssertEqual(Normalize.text("  x"), "  x\n", "indentation is kept")
        XCTAssertEqual(Normalize.text(" \n\t\n"), "")
        XCTAssertEqual(Normalize.text(""), "")
        XCTAssertNotEqual(Normalize.problemHash(prompt: "p", entryPoint: "f", language: "python"),
                          Normalize.problemHash(prompt: "p", entryPoint: "g", language: "python"))
    }

    func readLines(_ bytes: [UInt8], max: Int = 1 << 20) throws -> [String] {
        let path = temporaryDatabasePath(self, name: "lines.txt")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try LineReader(path: path, maxLineBytes: max)
        var lines: [String] = []
        while let line = try reader.next({ line -> String in
            switch line {
            case .text(let b): return String(decoding: b, as: UTF8.self)
            case .tooLong(let n): return "<\(n)>"
            }
        }) { lines.append(line) }
        return lines
    }

    func testLineReaderHandlesLineEndsAndLongLines() throws {
        XCTAssertEqual(try readLines(Array("a\r\nb\n\nc".utf8)), ["a", "b", "", "c"])
        XCTAssertEqual(try readLines(Array("a\n".utf8)), ["a"])
        XCTAssertEqual(try readLines([]), [])
        XCTAssertEqual(try readLines(Array(("short\n" + String(repeating: "y", count: 50) + "\nz\n").utf8), max: 10), ["short", "<50>", "z"])
        // A line spanning the reader's 1 MiB chunks arrives whole.
        let long = String(repeating: "q", count: 3_000_000)
        XCTAssertEqual(try readLines(Array(("x\n" + long + "\ny").utf8), max: 8 << 20).map(\.count), [1, 3_000_000, 1])
    }

    func testLineReaderReadsGzip() throws {
        guard let data = sharedData else { throw XCTSkip("../shared/data is absent") }
        let reader = try LineReader(path: data.appendingPathComponent("humaneval/HumanEval.jsonl.gz").path)
        var count = 0
        var first = ""
        while let line = try reader.next({ line -> String in
            if case .text(let b) = line { return String(decoding: b, as: UTF8.self) }
            return ""
        }) {
            if count == 0 { first = line }
            count += 1
        }
        XCTAssertEqual(count, 164)
        XCTAssertTrue(first.hasPrefix(#"{"task_id": "HumanEval/0""#), first)
    }
}
