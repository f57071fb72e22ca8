import Foundation

/// Imports N generated solution lines (interchange JSONL) and, in the same run, inserts the
/// same number of rows through the store's raw bulk path: the import must stay within 3x.
public struct ImportBenchmark {
    public struct Result {
        public let lines: Int
        public let fileBytes: Int
        public let importSeconds: Double
        /// The same solution rows inserted straight into `solutions` (same schema, indexes
        /// and foreign keys) through one reused prepared statement: the store's raw path.
        public let rawSeconds: Double
        /// The plain store benchmark (a table without indexes) for the same row count.
        public let plainSeconds: Double
        public let peakRSSBeforeKB: Int
        public let peakRSSAfterKB: Int
        public var importLinesPerSecond: Double { Double(lines) / importSeconds }
        public var rawRowsPerSecond: Double { Double(lines) / rawSeconds }
        public var plainRowsPerSecond: Double { Double(lines) / plainSeconds }
        public var slowdown: Double { importSeconds / rawSeconds }
    }

    public let lines: Int
    public let problems: Int
    public let directory: URL

    public init(lines: Int = 1_000_000, problems: Int = 1000, directory: URL = FileManager.default.temporaryDirectory) {
        self.lines = lines
        self.problems = problems
        self.directory = directory
    }

    static func peakRSSKB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    func code(_ i: Int) -> String {
        "def solve(values, k):\n    \"\"\"Variant \(i).\"\"\"\n    total = 0\n    for index, value in enumerate(values):\n        if value % \(i % 97 + 2) == 0:\n            total += value * \(i)\n    return total + k\n"
    }

    /// Inserts the rows the import will create, with their hashes computed beforehand, into a
    /// fresh database: only the store's insert path is timed.
    func timeRawInsert() throws -> Double {
        let path = directory.appendingPathComponent("codedpo-bench-raw-\(ProcessInfo.processInfo.processIdentifier).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let (db, _) = try Workspace.initialize(path: path)
        let runID = try RunLog(db).start(command: "bench raw", argv: [])
        try db.transaction {
            let insert = try db.prepare("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES (?, ?, ?, 'solve', ?)")
            for p in 0..<problems { try insert.execute("B/\(p)", SHA256.hex("B/\(p)"), "def solve(values, k):\n", runID) }
        }
        let rows = (0..<lines).map { i -> (Int64, String, String) in
            let text = code(i)
            return (Int64(i % problems + 1), SHA256.hex(text), text)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            let insert = try db.prepare("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, 1, ?)")
            for (problem, hash, text) in rows {
                try insert.bind(problem, at: 1)
                try insert.bind(hash, at: 2)
                try insert.bind(text, at: 3)
                try insert.bind(runID, at: 4)
                try insert.step()
                insert.reset()
            }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func writeInput(_ path: String) throws -> Int {
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { throw StoreError("cannot write \(path)") }
        defer { try? handle.close() }
        var buffer = ""
        var total = 0
        for i in 0..<lines {
            // Distinct programs of a realistic size (a few hundred bytes), as sampled code is.
            buffer += #"{"problem": "B/\#(i % problems)", "code": "def solve(values, k):\n    \"\"\"Variant \#(i).\"\"\"\n    total = 0\n    for index, value in enumerate(values):\n        if value % \#(i % 97 + 2) == 0:\n            total += value * \#(i)\n    return total + k\n", "model": "bench"}"# + "\n"
            if buffer.utf8.count > 1 << 20 {
                total += buffer.utf8.count
                handle.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        total += buffer.utf8.count
        handle.write(Data(buffer.utf8))
        return total
    }

    public func run() throws -> Result {
        let stamp = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let input = directory.appendingPathComponent("codedpo-bench-import-\(stamp).jsonl").path
        let dbPath = directory.appendingPathComponent("codedpo-bench-import-\(stamp).db").path
        defer {
            try? FileManager.default.removeItem(atPath: input)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        }
        let bytes = try writeInput(input)
        let (db, _) = try Workspace.initialize(path: dbPath)
        let runID = try RunLog(db).start(command: "bench import", argv: [])
        try db.transaction {
            let insert = try db.prepare("INSERT INTO problems (external_id, content_hash, prompt, entry_point, run_id) VALUES (?, ?, ?, 'solve', ?)")
            for p in 0..<problems { try insert.execute("B/\(p)", SHA256.hex("B/\(p)"), "def solve(values, k):\n", runID) }
        }
        let rssBefore = Self.peakRSSKB()
        let start = DispatchTime.now().uptimeNanoseconds
        let report = try Importer.run(db: db, runID: runID, files: [input], options: ImportOptions(kind: .solutions))
        let importSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let rssAfter = Self.peakRSSKB()
        guard report.added["solutions"] == lines else {
            throw StoreError("import benchmark added \(report.added["solutions"] ?? 0) solutions, expected \(lines)")
        }
        let raw = try timeRawInsert()
        let plain = try StoreBenchmark(rows: lines, rounds: 1, directory: directory).run()
        return Result(lines: lines, fileBytes: bytes, importSeconds: importSeconds, rawSeconds: raw, plainSeconds: plain.storeSeconds,
                      peakRSSBeforeKB: rssBefore, peakRSSAfterKB: rssAfter)
    }
}
