import CSQLite
import Foundation

/// A connection to one SQLite database file.
///
/// Opened read-write it uses WAL, enforces foreign keys and waits on a busy lock instead of
/// failing at once; opened read-only it cannot write, whatever the SQL says.
public final class Database {
    public enum Mode: Sendable {
        /// Read and write; creates the file when it does not exist.
        case readWriteCreate
        /// Read and write an existing file.
        case readWrite
        /// Read only: every write fails with SQLITE_READONLY.
        case readOnly
    }

    public let path: String
    public let mode: Mode
    let handle: OpaquePointer
    private var savepointDepth = 0

    /// `":memory:"` opens a private in-memory database.
    public init(path: String, mode: Mode = .readWriteCreate, busyTimeout: TimeInterval = 10) throws {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var connection: OpaquePointer?
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let error = SQLiteError(handle: connection, code: code, sql: nil)
            sqlite3_close_v2(connection)
            throw StoreError("cannot open database \(path): \(error.message)")
        }
        self.handle = connection
        self.path = path
        self.mode = mode
        sqlite3_busy_timeout(connection, Int32(busyTimeout * 1000))
        do {
            try execute("PRAGMA foreign_keys = ON")
            if mode == .readOnly {
                try execute("PRAGMA query_only = ON")
            } else if path != ":memory:" && !path.isEmpty {
                try execute("PRAGMA journal_mode = WAL")
                // NORMAL is durable across application crashes in WAL mode; only a power
                // loss can roll back the last transactions.
                try execute("PRAGMA synchronous = NORMAL")
                // A bounded 64 MiB page cache: large imports insert into hash indexes in
                // random order, and the 2 MiB default spills dirty pages to disk constantly.
                try execute("PRAGMA cache_size = -65536")
            }
        } catch {
            sqlite3_close_v2(connection)
            throw error
        }
    }

    deinit {
        // Copy what this connection wrote from the WAL into the database file first: a
        // statement still held by an object that outlives the connection (a reader thread
        // finishing after the command returned) makes sqlite3_close_v2 a deferred close, and
        // the process can exit before it happens, leaving the rows only in the -wal file,
        // where a plain copy of the .db file (a shard, a backup) would lose them.
        if mode != .readOnly { sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
        sqlite3_close_v2(handle)
    }

    /// The SQLite library version in use.
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }

    // MARK: Running SQL

    /// Runs one or more statements that take no parameters.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) }
            sqlite3_free(message)
            var error = SQLiteError(handle: handle, code: code, sql: sql)
            if let text { error = SQLiteError(code: error.code, extendedCode: error.extendedCode, message: text, sql: sql) }
            throw error
        }
    }

    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs one statement with positional parameters.
    public func run(_ sql: String, _ values: SQLBindable...) throws {
        let statement = try prepare(sql)
        try statement.bind(values)
        while try statement.step() {}
    }

    /// All rows of one query.
    public func rows(_ sql: String, _ values: SQLBindable...) throws -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.rows()
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, _ values: SQLBindable...) throws -> SQLValue? {
        let statement = try prepare(sql)
        try statement.bind(values)
        defer { statement.reset() }
        return try statement.step() ? statement.value(at: 0) : nil
    }

    public func int(_ sql: String, _ values: SQLBindable...) throws -> Int? {
        let statement = try prepare(sql)
        try statement.bind(values)
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.int(at: 0)
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var totalChanges: Int { Int(sqlite3_total_changes(handle)) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: Transactions

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Nested calls become savepoints, so an inner failure can be caught and the outer
    /// transaction go on. The outermost transaction is IMMEDIATE: it takes the write lock
    /// up front, so two writers wait on the busy timeout instead of deadlocking.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let depth = savepointDepth
        let name = "codedpo_\(depth)"
        if depth == 0 { try execute("BEGIN IMMEDIATE") } else { try execute("SAVEPOINT \(name)") }
        savepointDepth += 1
        do {
            let result = try body()
            savepointDepth -= 1
            if depth == 0 { try execute("COMMIT") } else { try execute("RELEASE \(name)") }
            return result
        } catch {
            savepointDepth -= 1
            if depth == 0 {
                try? execute("ROLLBACK")
            } else {
                try? execute("ROLLBACK TO \(name)")
                try? execute("RELEASE \(name)")
            }
            throw error
        }
    }

    // MARK: Introspection

    public func tableExists(_ name: String) throws -> Bool {
        try int("SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?", name) == 1
    }

    /// Names of user tables (not views, not SQLite's own), sorted.
    public func tableNames() throws -> [String] {
        try rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .compactMap { $0[0].string }
    }
}
