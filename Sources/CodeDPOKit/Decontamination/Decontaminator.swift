import Foundation

/// What `codedpo decontaminate` checks, against which benchmarks, and how.
public struct DecontaminationOptions: Sendable {
    /// Benchmark files with an optional name (default: the file name).
    public var benchmarks: [(name: String?, path: String)] = []
    public var parameters = MatchParameters()
    /// Problems whose external id starts with one of these are not checked (benchmark
    /// problems imported for `eval models` would otherwise match themselves).
    public var excludePrefixes: [String] = []
    /// Also run the naive baseline on this many rows and compare answers and speed.
    public var naiveRows: Int?

    public init() {}
}

public struct DecontaminationReport: Sendable {
    public struct Benchmark: Sendable {
        public var name: String
        public var path: String
        public var items: Int
        public var alreadyImported: Bool
    }

    public struct Baseline: Sendable {
        public var rows: Int
        public var indexedSeconds: Double
        public var naiveSeconds: Double
        public var agree: Bool
    }

    public var decontaminationRunID: Int64 = 0
    public var benchmarks: [Benchmark] = []
    /// Rows checked per item kind, and matches per match kind.
    public var checked: [String: Int] = [:]
    public var matches: [String: Int] = [:]
    public var contaminatedProblems = 0
    public var problemsChecked = 0
    public var seconds = 0.0
    public var indexSeconds = 0.0
    public var baseline: Baseline?

    public var rowsChecked: Int { checked.values.reduce(0, +) }

    public var json: JSON {
        func counts(_ values: [String: Int]) -> JSON { .object(values.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }) }
        return .object([
            ("decontamination_run", .int(decontaminationRunID)),
            ("benchmarks", .array(benchmarks.map { .object([("name", .string($0.name)), ("path", .string($0.path)), ("items", .int(Int64($0.items))),
                                                            ("already_imported", .bool($0.alreadyImported))]) })),
            ("checked", counts(checked)), ("matches", counts(matches)),
            ("problems_checked", .int(Int64(problemsChecked))), ("contaminated_problems", .int(Int64(contaminatedProblems))),
            ("seconds", .double(seconds)), ("index_seconds", .double(indexSeconds)),
            ("rows_per_second", .double(seconds > 0 ? (Double(rowsChecked) / seconds).rounded() : 0)),
            ("baseline", baseline.map { b in .object([("rows", .int(Int64(b.rows))), ("indexed_seconds", .double(b.indexedSeconds)),
                                                       ("naive_seconds", .double(b.naiveSeconds)), ("agree", .bool(b.agree))]) } ?? .null),
        ])
    }
}

/// Checks every problem, solution, test and seed against the benchmarks and records each
/// match. Benchmarks are read and indexed once per run; the rows are read in one pass; the
/// benchmarks, the run and its matches are written in one transaction at the end, so a
/// failed run leaves nothing.
public struct Decontaminator {
    public let db: Database
    public let runID: Int64

    public init(db: Database, runID: Int64) {
        self.db = db
        self.runID = runID
    }

    struct Found {
        let itemKind: String
        let itemID: Int64
        let problemID: Int64?
        let match: TextMatch
    }

    public func run(_ options: DecontaminationOptions, progress: (Int) -> Void = { _ in }) throws -> DecontaminationReport {
        guard !options.benchmarks.isEmpty else { throw StoreError("give at least one benchmark file (--benchmark FILE)") }
        guard options.parameters.ngram >= 1 else { throw StoreError("--ngram must be at least 1") }
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var report = DecontaminationReport()
        var items: [BenchmarkItem] = []
        var files: [(name: String, path: String, sha256: String, items: [BenchmarkItem])] = []
        for benchmark in options.benchmarks {
            let read = try BenchmarkFile.read(benchmark.path)
            let name = benchmark.name ?? BenchmarkFile.defaultName(benchmark.path)
            files.append((name, benchmark.path, try LineReader.digest(path: benchmark.path).sha256, read))
            items += read
        }
        let index = BenchmarkIndex(items: items, parameters: options.parameters)
        report.indexSeconds = elapsed()

        var found: [Found] = []
        var naive = options.naiveRows.map { ($0, NaiveMatcher(items: items, index: index)) }
        var baseline = DecontaminationReport.Baseline(rows: 0, indexedSeconds: 0, naiveSeconds: 0, agree: true)
        var rows = 0
        func check(_ kind: String, _ id: Int64, _ problem: Int64?, _ content: String) {
            let text = MatchText(content, whitelist: options.parameters.whitelist)
            if let (limit, matcher) = naive, baseline.rows < limit {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let indexed = index.matches(text)
                let t1 = DispatchTime.now().uptimeNanoseconds
                let slow = matcher.matches(text)
                let t2 = DispatchTime.now().uptimeNanoseconds
                baseline.rows += 1
                baseline.indexedSeconds += Double(t1 - t0) / 1e9
                baseline.naiveSeconds += Double(t2 - t1) / 1e9
                if indexed != slow { baseline.agree = false }
                if baseline.rows == limit { naive = nil }
                found += indexed.map { Found(itemKind: kind, itemID: id, problemID: problem, match: $0) }
            } else {
                found += index.matches(text).map { Found(itemKind: kind, itemID: id, problemID: problem, match: $0) }
            }
            report.checked[kind, default: 0] += 1
            rows += 1
            if rows % 4096 == 0 { progress(rows) }
        }
        // Excluded problems, and everything that belongs to them, are not checked.
        try db.execute("DROP TABLE IF EXISTS temp.decontamination_scope; CREATE TEMP TABLE decontamination_scope (problem_id INTEGER PRIMARY KEY)")
        let insertScope = try db.prepare("INSERT INTO temp.decontamination_scope VALUES (?)")
        let problems = try db.prepare("SELECT id, external_id, prompt FROM problems ORDER BY id")
        try problems.forEachRow { row in
            let externalID = row.string(at: 1)
            if options.excludePrefixes.contains(where: { externalID.hasPrefix($0) }) { return }
            try insertScope.execute(row.int64(at: 0))
            check("problem", row.int64(at: 0), row.int64(at: 0), row.string(at: 2))
        }
        report.problemsChecked = report.checked["problem"] ?? 0
        for (kind, table) in [("solution", "solutions"), ("test", "tests")] {
            let statement = try db.prepare("""
                SELECT x.id, x.problem_id, x.code FROM \(table) x JOIN temp.decontamination_scope sc ON sc.problem_id = x.problem_id ORDER BY x.id
                """)
            try statement.forEachRow { check(kind, $0.int64(at: 0), $0.int64(at: 1), $0.string(at: 2)) }
        }
        let seeds = try db.prepare("SELECT id, content FROM seeds ORDER BY id")
        try seeds.forEachRow { check("seed", $0.int64(at: 0), nil, $0.string(at: 1)) }
        try db.execute("DROP TABLE temp.decontamination_scope")
        if options.naiveRows != nil { report.baseline = baseline }

        try db.transaction {
            var itemIDs: [Int64] = []
            for file in files {
                if let existing = try db.rows("SELECT id, name FROM benchmarks WHERE sha256 = ?", file.sha256).first {
                    let id = existing["id"].int64!
                    var byExternalID: [String: Int64] = [:]
                    for row in try db.rows("SELECT id, external_id FROM benchmark_items WHERE benchmark_id = ?", id) {
                        byExternalID[row["external_id"].string!] = row["id"].int64!
                    }
                    itemIDs += file.items.map { byExternalID[$0.externalID]! }
                    report.benchmarks.append(.init(name: existing["name"].string!, path: file.path, items: file.items.count, alreadyImported: true))
                    continue
                }
                try db.run("INSERT INTO benchmarks (name, format, path, sha256, items, run_id) VALUES (?, 'jsonl', ?, ?, ?, ?)",
                           file.name, URL(fileURLWithPath: file.path).standardizedFileURL.path, file.sha256, file.items.count, runID)
                let benchmarkID = db.lastInsertRowID
                let insert = try db.prepare("INSERT INTO benchmark_items (benchmark_id, external_id, prompt, docstring, solution) VALUES (?, ?, ?, ?, ?)")
                for item in file.items {
                    try insert.execute(benchmarkID, item.externalID, item.prompt, item.docstring, item.solution)
                    itemIDs.append(db.lastInsertRowID)
                }
                report.benchmarks.append(.init(name: file.name, path: file.path, items: file.items.count, alreadyImported: false))
            }
            let parameters: JSON = .object([
                ("ngram", .int(Int64(options.parameters.ngram))), ("min_substring_bytes", .int(Int64(options.parameters.minSubstringBytes))),
                ("whitelist", JSON(options.parameters.whitelist.lines.sorted())), ("exclude", JSON(options.excludePrefixes)),
                ("benchmarks", .array(files.map { .object([("name", .string($0.name)), ("sha256", .string($0.sha256))]) })),
            ])
            try db.run("INSERT INTO decontamination_runs (run_id, parameters) VALUES (?, ?)", runID, parameters.text)
            report.decontaminationRunID = db.lastInsertRowID
            let insert = try db.prepare("""
                INSERT INTO contamination_matches (decontamination_run_id, item_kind, item_id, problem_id, benchmark_item_id, match, matched_text)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for entry in found {
                try insert.execute(report.decontaminationRunID, entry.itemKind, entry.itemID, entry.problemID,
                                   itemIDs[entry.match.benchmarkItem], entry.match.kind.rawValue, entry.match.text)
                report.matches[entry.match.kind.rawValue, default: 0] += 1
            }
            report.contaminatedProblems = try db.int("SELECT count(*) FROM contaminated_problems") ?? 0
            report.seconds = elapsed()
            try db.run("UPDATE decontamination_runs SET summary = ? WHERE id = ?", report.json.text, report.decontaminationRunID)
        }
        return report
    }
}
