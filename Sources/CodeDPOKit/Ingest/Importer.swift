import Foundation

/// Options of one `codedpo import`.
public struct ImportOptions: Sendable {
    public var kind: ImportKind
    public var format: ImportFormat = .jsonl
    public var skipBad = false
    public var dryRun = false
    /// CodeT: a JSONL file of {"task_id", "prompt"} mapping sample prompts to problems.
    public var promptsFile: String?
    /// CodeT: keep at most this many tests per sample (CodeT's default is 5).
    public var testsPerSample = 5
    public var model: String?
    public var testKind: TestKind?
    public var maxLineBytes = 64 << 20
    /// Seeds from directories: globs on the path relative to the directory.
    public var include: [String] = []
    public var exclude: [String] = []
    public var python: String?
    /// Put in front of every problem id of the file, and of the problem ids solutions and
    /// tests name, so two editions of a benchmark (HumanEval and HumanEval+) live side by
    /// side; the prefix is part of a problem's identity (the two are never merged).
    public var idPrefix = ""
    /// HumanEval+ / MBPP+: base_input and plus_input become ground-truth tests (test sets
    /// "base" and "plus"), their expected values computed by running the canonical solution.
    public var plusTests = false

    public init(kind: ImportKind) { self.kind = kind }
}

/// What an import added (or, with --dry-run, would add), per file.
public struct ImportReport: Sendable {
    public struct File: Sendable {
        public var path: String
        public var items = 0
        public var badItems = 0
        public var firstBad: [String] = []
        public var sourceWasKnown = false
        /// New rows per table.
        public var added: [String: Int] = [:]
        /// Rows that already existed and got one more provenance record (another sample of them).
        public var merged = 0
        /// Records whose provenance was already recorded (this exact place was imported before).
        public var unchanged = 0
        public var notes: [String] = []

        public var addedTotal: Int { added.values.reduce(0, +) }

        /// Counts what the catalog did with one item written to `table`.
        mutating func count(_ outcome: CatalogOutcome, table: String) {
            switch outcome {
            case .added: added[table, default: 0] += 1
            case .merged: merged += 1
            case .unchanged: unchanged += 1
            }
        }
    }

    public var files: [File] = []
    public var dryRun = false

    public var added: [String: Int] {
        files.reduce(into: [:]) { total, file in for (key, value) in file.added { total[key, default: 0] += value } }
    }

    public var json: JSON {
        .object([
            ("dry_run", .bool(dryRun)),
            ("added", .object(added.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("files", .array(files.map { file in
                .object([
                    ("path", .string(file.path)), ("items", .int(Int64(file.items))),
                    ("added", .object(file.added.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                    ("merged", .int(Int64(file.merged))), ("unchanged", .int(Int64(file.unchanged))),
                    ("bad_items", .int(Int64(file.badItems))), ("first_bad", JSON(file.firstBad)),
                    ("already_imported", .bool(file.sourceWasKnown && file.addedTotal == 0 && file.merged == 0)),
                    ("notes", JSON(file.notes)),
                ])
            })),
        ])
    }
}

/// A file that cannot be imported as asked: names the file and line and what to do.
public struct ImportError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Raised inside the transaction to roll a dry run back after it has counted everything.
struct DryRunRollback: Error {}

/// Writes records to the database: identity by content hash, provenance per source and
/// locator, sample multiplicity kept. One Importer per import run; statements are prepared
/// once and reused for every row.
public final class Importer {
    let db: Database
    let runID: Int64
    let options: ImportOptions
    private var helperService: PythonLineService?
    // Read by the reader thread (resolving solutions' and tests' problems) and written by
    // the writing thread (only when importing problems, which resolve nothing): never both
    // in one import, so no lock is needed.
    private var problemsByID: [String: KnownProblem] = [:]
    private var problemsByPrompt: [String: KnownProblem] = [:]
    private var promptToTaskID: [String: String] = [:]
    private var loadedAllProblems = false

    /// Rows are written by content hash with provenance through the shared catalog (which
    /// `generate` writes through too).
    private lazy var catalog = ContentCatalog(db: db, runID: runID)

    public init(db: Database, runID: Int64, options: ImportOptions) throws {
        self.db = db
        self.runID = runID
        self.options = options
        if let promptsFile = options.promptsFile { try loadPrompts(promptsFile) }
    }

    func helper() throws -> PythonLineService {
        if let helperService { return helperService }
        let service = try PythonLineService(interpreter: try PythonInterpreter.resolve(options.python), helper: "ingest_helper.py")
        helperService = service
        return service
    }

    private var expectedRunner: ExpectedOutputs?

    /// The runner of canonical solutions for evalplus inputs, under an execution config of
    /// its own (recorded, so every expected value names the config it came from).
    func expectedOutputs() throws -> ExpectedOutputs {
        if let expectedRunner { return expectedRunner }
        var settings = ExecutionSettings(interpreter: try PythonInterpreter.resolve(options.python))
        settings.timeout = 10
        let runner = try ExpectedOutputs(settings: settings)
        runner.configID = try runner.settings.configID(in: db, runID: runID).id
        expectedRunner = runner
        return runner
    }

    func prefixed(_ reference: ProblemReference) -> ProblemReference {
        guard !options.idPrefix.isEmpty, case .id(let id) = reference else { return reference }
        return .id(options.idPrefix + id)
    }

    // MARK: Problems known to the database

    func loadPrompts(_ path: String) throws {
        let reader = try LineReader(path: path, maxLineBytes: options.maxLineBytes)
        while let entry = try reader.next({ line -> (String, String)? in
            guard case .text(let bytes) = line, !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return nil }
            guard let item = try? JSON.parse(bytes: bytes), let id = item["task_id"]?.stringValue,
                  let prompt = item["prompt"]?.stringValue else {
                throw ImportError(message: "\(path):\(reader.lineNumber): --prompts needs JSON lines with \"task_id\" and \"prompt\"")
            }
            return (prompt, id)
        }) {
            if let (prompt, id) = entry { promptToTaskID[Normalize.text(prompt)] = id }
        }
    }

    /// Loads every problem once, so resolving a reference needs no database access: the
    /// reader thread resolves references while the calling thread writes.
    func loadProblems() throws {
        guard !loadedAllProblems else { return }
        for row in try db.rows("SELECT id, external_id, entry_point, prompt FROM problems") {
            let known = KnownProblem(id: row[0].int64!, externalID: row[1].string!, entryPoint: row[2].string, prompt: row[3].string!)
            problemsByID[known.externalID] = known
            problemsByPrompt[Normalize.text(known.prompt)] = known
        }
        loadedAllProblems = true
    }

    func knownProblem(_ reference: ProblemReference) throws -> KnownProblem {
        switch reference {
        case .id(let id):
            if let known = problemsByID[id] { return known }
            throw BadItem("unknown \(reference): import the problems first (codedpo import problems ...)")
        case .prompt(let prompt):
            let normalized = Normalize.text(prompt)
            if let known = problemsByPrompt[normalized] { return known }
            if let id = promptToTaskID[normalized] {
                let known = try knownProblem(.id(id))
                problemsByPrompt[normalized] = known
                return known
            }
            let hint = promptToTaskID.isEmpty
                ? "pass --prompts with the file the prompts came from (CodeT: HumanEval_for_code_generation.jsonl), or import problems with these exact prompts"
                : "the --prompts file has no such prompt either"
            throw BadItem("no problem matches \(reference): \(hint)")
        }
    }

    // MARK: Sources

    /// The source row of a file: identified by the SHA-256 of its bytes.
    func fileSource(path: String, repository: String? = nil, commit: String? = nil) throws -> (id: Int64, known: Bool) {
        let (sha256, size) = try LineReader.digest(path: path)
        let identity = "file:sha256:\(sha256)"
        if let id = try db.int("SELECT id FROM sources WHERE identity = ?", identity) { return (Int64(id), true) }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        try db.run("INSERT INTO sources (kind, identity, uri, sha256, size_bytes, repository, commit_sha, run_id) VALUES ('file', ?, ?, ?, ?, ?, ?, ?)",
                   identity, absolute, sha256, size, repository, commit, runID)
        return (db.lastInsertRowID, false)
    }

    // MARK: Importing files

    /// Imports one file inside the caller's transaction. Bad items abort with an error naming
    /// the first few (nothing of the file is kept: the caller rolls back), or with skipBad
    /// are counted and skipped, and stored nowhere.
    public func importFile(_ path: String) throws -> ImportReport.File {
        var report = ImportReport.File(path: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImportError(message: "\(path): no such file")
        }
        if isDirectory.boolValue {
            guard options.kind == .seeds else {
                throw ImportError(message: "\(path) is a directory; only seeds are read from directories (codedpo import seeds DIR)")
            }
            return try SeedScanner(importer: self).importDirectory(path, report: report)
        }
        try loadProblems()
        var made = FormatContext(kind: options.kind, testKind: options.testKind, model: options.model,
                                 testsPerSample: options.testsPerSample, helper: { try self.helper() },
                                 resolve: { try self.knownProblem($0) })
        if options.plusTests && options.kind == .problems { made.expected = try expectedOutputs() }
        let context = made
        // Reading, parsing, normalizing and hashing run on a reader thread; this thread
        // computes the file's digest meanwhile, then only writes. Items arrive in order.
        let queue = BoundedQueue<[Item]>(capacity: 8)
        let failure = ThreadFailure()
        let reader = Thread { [self] in
            defer { queue.close() }
            do {
                try self.readItems(path: path, context: context) { batch in queue.push(batch) }
            } catch {
                failure.error = error
            }
        }
        reader.stackSize = 8 << 20
        reader.start()
        defer { queue.close() }
        let source = try fileSource(path: path)
        report.sourceWasKnown = source.known
        while let batch = queue.pop() {
            for item in batch {
                report.items += 1
                do {
                    switch item.content {
                    case .bad(let message): throw BadItem(message)
                    case .records(let records):
                        // A problem's checks against existing rows happen here, on the
                        // writing thread, before anything of the line is written.
                        let checked = try records.map { try check($0) }
                        for record in checked { try write(record, sourceID: source.id, locator: item.locator, report: &report) }
                    }
                } catch let bad as BadItem {
                    report.badItems += 1
                    if report.firstBad.count < 5 { report.firstBad.append("\(path):\(item.locator): \(bad.message)") }
                    if !options.skipBad {
                        throw ImportError(message: """
                            \(path):\(item.locator): \(bad.message)
                            Nothing was imported. Fix the line, or pass --skip-bad to import the other lines and skip the bad ones.
                            """)
                    }
                }
            }
        }
        reader.cancel()
        if let error = failure.error { throw error }
        return report
    }

    /// One item as the reader thread prepared it.
    struct Item {
        enum Content {
            case records([Prepared])
            case bad(String)
        }
        let locator: String
        let content: Content
    }

    final class ThreadFailure: @unchecked Sendable {
        var error: Error?
    }

    /// Reads every item of a file and prepares its records (no database access), handing
    /// them over in batches.
    func readItems(path: String, context: FormatContext, deliver: ([Item]) -> Bool) throws {
        var batch: [Item] = []
        batch.reserveCapacity(256)
        func add(_ item: JSON?, locator: String, parseError: String?) throws {
            let content: Item.Content
            if let parseError {
                content = .bad(parseError)
            } else {
                do {
                    let records = try FormatReader.records(item!, format: options.format, context: context)
                    content = .records(try records.map { try prepare($0) })
                } catch let bad as BadItem {
                    content = .bad(bad.message)
                }
            }
            batch.append(Item(locator: locator, content: content))
            if batch.count >= 256 {
                guard deliver(batch) else { throw ImportError(message: "import stopped") }
                batch.removeAll(keepingCapacity: true)
            }
        }
        if options.format.isJSONDocument {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard !data.isEmpty else { throw ImportError(message: "\(path) is empty: there is nothing to import") }
            let document: JSON
            do {
                document = try data.withUnsafeBytes { try JSON.parse(bytes: $0) }
            } catch let error as JSONParseError {
                throw ImportError(message: "\(path): invalid JSON: \(error.description) (this format reads one JSON list)")
            }
            guard let items = document.arrayValue else {
                throw ImportError(message: "\(path): expected a JSON list of records, found \(document.typeName)")
            }
            for (index, item) in items.enumerated() { try add(item, locator: "item \(index)", parseError: nil) }
        } else {
            let reader = try LineReader(path: path, maxLineBytes: options.maxLineBytes)
            var sawLine = false
            var items = 0
            while let parsed = try reader.next({ line -> (JSON?, String?)? in
                switch line {
                case .tooLong(let length):
                    return (nil, "line is \(length) bytes, longer than the limit of \(options.maxLineBytes) bytes (--max-line-bytes)")
                case .text(let bytes):
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                    guard UTF8Check.isValid(bytes) else {
                        return (nil, "invalid UTF-8 (the file must be UTF-8 text)")
                    }
                    do {
                        return (try JSON.parse(bytes: bytes), nil)
                    } catch let error as JSONParseError {
                        return (nil, "invalid JSON: \(error.description)")
                    }
                }
            }) {
                sawLine = true
                guard let (item, error) = parsed else { continue }
                items += 1
                try add(item, locator: "\(reader.lineNumber)", parseError: error)
            }
            if !sawLine { throw ImportError(message: "\(path) is empty: there is nothing to import") }
            if items == 0 { throw ImportError(message: "\(path) has only blank lines: there is nothing to import") }
        }
        if !batch.isEmpty { _ = deliver(batch) }
    }

    // MARK: Writing records

    enum Prepared {
        case problem(ProblemRecord, hash: String, existing: Int64?, tests: [PreparedTest])
        case solution(SolutionRecord, problemID: Int64, code: String, hash: String)
        case test(TestRecord, problemID: Int64, code: String, hash: String)
        case seed(SeedRecord, content: String, hash: String)
    }

    /// A problem's ground-truth test, normalized, with its test set and provenance.
    struct PreparedTest {
        let code: String
        let hash: String
        let testSet: String?
        let metadata: JSON?

        init(code: String, testSet: String?, metadata: JSON?) {
            self.code = code
            self.hash = Normalize.hash(code)
            self.testSet = testSet
            self.metadata = metadata
        }
    }

    /// Normalizes and hashes a record and resolves its problem: no database access, so it
    /// runs on the reader thread.
    func prepare(_ record: Record) throws -> Prepared {
        switch record {
        case .problem(var problem):
            var hash = Normalize.problemHash(prompt: problem.prompt, entryPoint: problem.entryPoint, language: problem.language)
            if !options.idPrefix.isEmpty {
                problem.externalID = options.idPrefix + problem.externalID
                hash = SHA256.hex(options.idPrefix + "\u{0}" + hash)
            }
            var tests = problem.groundTruthTests.map { PreparedTest(code: Normalize.text($0), testSet: nil, metadata: nil) }
            tests += problem.labeledTests.map { PreparedTest(code: Normalize.text($0.code), testSet: $0.testSet, metadata: $0.metadata) }
            return .problem(problem, hash: hash, existing: nil, tests: tests.filter { !$0.code.isEmpty })
        case .solution(var solution):
            let code = Normalize.text(solution.code)
            guard !code.isEmpty else { throw BadItem("the solution's code is empty") }
            solution.problem = prefixed(solution.problem)
            return .solution(solution, problemID: try knownProblem(solution.problem).id, code: code, hash: Normalize.hash(code))
        case .test(var test):
            let code = Normalize.text(test.code)
            guard !code.isEmpty else { throw BadItem("the test's code is empty") }
            test.problem = prefixed(test.problem)
            return .test(test, problemID: try knownProblem(test.problem).id, code: code, hash: Normalize.hash(code))
        case .seed(let seed):
            let content = Normalize.text(seed.content)
            guard !content.isEmpty else { throw BadItem("the seed's content is empty") }
            return .seed(seed, content: content, hash: Normalize.hash(content))
        }
    }

    /// The checks that need the database, on the writing thread: a problem id already
    /// taken by another prompt is refused; the same prompt under another id is one problem.
    func check(_ prepared: Prepared) throws -> Prepared {
        guard case .problem(let problem, let hash, _, let tests) = prepared else { return prepared }
        return .problem(problem, hash: hash, existing: try catalog.existingProblem(externalID: problem.externalID, hash: hash), tests: tests)
    }

    func write(_ prepared: Prepared, sourceID: Int64, locator: String, report: inout ImportReport.File) throws {
        func place(_ part: String?) -> String { part.map { "\(locator) \($0)" } ?? locator }
        switch prepared {
        case .problem(let problem, let hash, let existing, let tests):
            let (problemID, outcome) = try catalog.writeProblem(problem, hash: hash, existing: existing,
                                                               provenance: Provenance(sourceID: sourceID, locator: locator))
            report.count(outcome, table: "problems")
            let known = KnownProblem(id: problemID, externalID: problem.externalID, entryPoint: problem.entryPoint, prompt: problem.prompt)
            problemsByID[problem.externalID] = known
            problemsByPrompt[Normalize.text(problem.prompt)] = known
            for (index, test) in tests.enumerated() {
                try writeTest(problemID: problemID, kind: .groundTruth, code: test.code, hash: test.hash, count: 1, model: nil,
                              metadata: test.metadata, sourceID: sourceID, locator: "\(locator) test \(index)", report: &report,
                              testSet: test.testSet)
            }
        case .solution(let solution, let problemID, let code, let hash):
            let provenance = Provenance(sourceID: sourceID, locator: place(solution.part), model: solution.model, metadata: solution.metadata)
            report.count(try catalog.writeSolution(problemID: problemID, code: code, hash: hash, count: solution.count, provenance: provenance).outcome,
                         table: "solutions")
        case .test(let test, let problemID, let code, let hash):
            try writeTest(problemID: problemID, kind: test.kind, code: code, hash: hash, count: test.count, model: test.model,
                          metadata: test.metadata, sourceID: sourceID, locator: place(test.part), report: &report)
        case .seed(let seed, let content, let hash):
            try writeSeed(seed, content: content, hash: hash, sourceID: sourceID, locator: seed.locator ?? locator, report: &report)
        }
    }

    func writeTest(problemID: Int64, kind: TestKind, code: String, hash: String, count: Int, model: String?, metadata: JSON?,
                   sourceID: Int64, locator: String, report: inout ImportReport.File, testSet: String? = nil) throws {
        let provenance = Provenance(sourceID: sourceID, locator: locator, model: model, metadata: metadata)
        report.count(try catalog.writeTest(problemID: problemID, kind: kind, code: code, hash: hash, count: count, provenance: provenance,
                                           testSet: testSet).outcome,
                     table: kind == .groundTruth ? "ground_truth_tests" : "generated_tests")
    }

    func writeSeed(_ seed: SeedRecord, content: String, hash: String, sourceID: Int64, locator: String,
                   report: inout ImportReport.File) throws {
        report.count(try catalog.writeSeed(seed, content: content, hash: hash, provenance: Provenance(sourceID: sourceID, locator: locator)).outcome,
                     table: "seeds")
    }

    // MARK: The whole import

    /// Imports every file in one transaction: all of them or none. A dry run does the same
    /// work and rolls it back, so what it reports is exactly what a real run would add; it
    /// records no run (pass runID nil) because it changes nothing.
    public static func run(db: Database, runID: Int64?, files: [String], options: ImportOptions) throws -> ImportReport {
        var report = ImportReport(dryRun: options.dryRun)
        do {
            try db.transaction {
                var id = runID
                if id == nil {
                    try db.run("INSERT INTO runs (command, argv, tool_version) VALUES ('import --dry-run', '[]', ?)", CodeDPO.version)
                    id = db.lastInsertRowID
                }
                let importer = try Importer(db: db, runID: id!, options: options)
                for file in files { report.files.append(try importer.importFile(file)) }
                if options.dryRun || runID == nil { throw DryRunRollback() }
            }
        } catch is DryRunRollback {}
        return report
    }
}
