import CSQLite
import Foundation

/// Measures the store's bulk insert path against a bare SQLite C-API loop inserting the
/// same rows into the same table, in the same run (the machine is shared and noisy, so
/// only figures measured side by side are compared).
public struct StoreBenchmark {
    public struct Result {
        public let rows: Int
        public let storeSeconds: Double
        public let bareSeconds: Double
        public var storeRowsPerSecond: Double { Double(rows) / storeSeconds }
        public var bareRowsPerSecond: Double { Double(rows) / bareSeconds }
        public var ratio: Double { bareSeconds / storeSeconds }
    }

    public let rows: Int
    public let rounds: Int
    public let directory: URL

    public init(rows: Int = 1_000_000, rounds: Int = 3, directory: URL = FileManager.default.temporaryDirectory) {
        self.rows = rows
        self.rounds = rounds
        self.directory = directory
    }

    static let createTable = """
        CREATE TABLE bench_solutions (
            id INTEGER PRIMARY KEY, problem_id INTEGER NOT NULL, content_hash TEXT NOT NULL,
            code TEXT NOT NULL, sample_count INTEGER NOT NULL)
        """
    static let insert = "INSERT INTO bench_solutions (problem_id, content_hash, code, sample_count) VALUES (?, ?, ?, ?)"

    /// The same synthetic rows for both paths: short programs with distinct text.
    func row(_ i: Int) -> (Int64, String, String, Int64) {
        let code = "def f(x):\n    return x * \(i) + \(i % 97)\n"
        return (Int64(i % 1000), String(i, radix: 16), code, 1)
    }

    /// Best of `rounds` for each path, alternating which goes first.
    public func run() throws -> Result {
        var best = (store: Double.infinity, bare: Double.infinity)
        for round in 0..<rounds {
            let order = round % 2 == 0 ? [true, false] : [false, true]
            for useStore in order {
                let path = directory.appendingPathComponent("codedpo-bench-\(ProcessInfo.processInfo.processIdentifier)-\(round)-\(useStore).db").path
                defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
                let seconds = useStore ? try timeStore(path: path) : try timeBare(path: path)
                if useStore { best.store = min(best.store, seconds) } else { best.bare = min(best.bare, seconds) }
            }
        }
        return Result(rows: rows, storeSeconds: best.store, bareSeconds: best.bare)
    }

    func timeStore(path: String) throws -> Double {
        let db = try Database(path: path, mode: .readWriteCreate)
        try db.execute(Self.createTable)
        let start = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            let statement = try db.prepare(Self.insert)
            for i in 0..<rows {
                let (problem, hash, code, count) = row(i)
                try statement.bind(problem, at: 1)
                try statement.bind(hash, at: 2)
                try statement.bind(code, at: 3)
                try statement.bind(count, at: 4)
                try statement.step()
                statement.reset()
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let count = try db.int("SELECT count(*) FROM bench_solutions")
        guard count == rows else { throw StoreError("store benchmark inserted \(count ?? 0) rows, expected \(rows)") }
        return seconds
    }

    func timeBare(path: String) throws -> Double {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            throw StoreError("cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        // The same connection settings the store uses, so only the binding layer differs.
        for pragma in ["PRAGMA foreign_keys = ON", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", Self.createTable] {
            guard sqlite3_exec(db, pragma, nil, nil, nil) == SQLITE_OK else { throw StoreError("bare benchmark: \(pragma) failed") }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, Self.insert, -1, &statement, nil)
        for i in 0..<rows {
            let (problem, hash, code, count) = row(i)
            sqlite3_bind_int64(statement, 1, problem)
            sqlite3_bind_text(statement, 2, hash, -1, SQLITE_TRANSIENT)
            sqlite3_bind_text(statement, 3, code, -1, SQLITE_TRANSIENT)
            sqlite3_bind_int64(statement, 4, count)
            guard sqlite3_step(statement) == SQLITE_DONE else { throw StoreError("bare benchmark insert failed") }
            sqlite3_reset(statement)
        }
        sqlite3_finalize(statement)
        sqlite3_exec(db, "COMMIT", nil, nil, nil)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
