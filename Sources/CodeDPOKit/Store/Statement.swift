import CSQLite

/// SQLite's "copy this buffer now" destructor, which Swift does not import.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Reuse one for many rows (bind, step, reset): that is the fast
/// path for bulk inserts. Typed `bind` overloads avoid boxing values per row.
public final class Statement {
    let handle: OpaquePointer
    public let sql: String
    unowned let database: Database

    init(database: Database, sql: String) throws {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let code = sql.withCString { sqlite3_prepare_v3(database.handle, $0, -1, 0, &statement, &tail) }
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError(handle: database.handle, code: code, sql: sql)
        }
        if let tail, tail.pointee != 0,
            !String(cString: tail).allSatisfy({ $0.isWhitespace || $0 == ";" })
        {
            sqlite3_finalize(statement)
            throw StoreError("more than one SQL statement given where one was expected: \(sql)")
        }
        self.handle = statement
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: Binding (1-based indexes, as in SQLite)

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// The name of parameter `index` including its prefix (`:id`), or nil for `?`.
    public func parameterName(at index: Int) -> String? {
        sqlite3_bind_parameter_name(handle, Int32(index)).map { String(cString: $0) }
    }

    @inline(__always)
    private func check(_ code: Int32) throws {
        if code != SQLITE_OK { throw SQLiteError(handle: database.handle, code: code, sql: sql) }
    }

    public func bind(_ value: Int64, at index: Int) throws {
        try check(sqlite3_bind_int64(handle, Int32(index), value))
    }

    public func bind(_ value: Int, at index: Int) throws {
        try check(sqlite3_bind_int64(handle, Int32(index), Int64(value)))
    }

    public func bind(_ value: Double, at index: Int) throws {
        try check(sqlite3_bind_double(handle, Int32(index), value))
    }

    public func bind(_ value: String, at index: Int) throws {
        var value = value
        let code = value.withUTF8 { buffer -> Int32 in
            // An empty string has no base address; bind a real empty text, not NULL.
            guard let base = buffer.baseAddress else {
                return sqlite3_bind_text(handle, Int32(index), "", 0, SQLITE_TRANSIENT)
            }
            return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                sqlite3_bind_text(handle, Int32(index), $0, Int32(buffer.count), SQLITE_TRANSIENT)
            }
        }
        try check(code)
    }

    public func bind(_ value: String?, at index: Int) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: Int64?, at index: Int) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: Double?, at index: Int) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: [UInt8], at index: Int) throws {
        try check(value.withUnsafeBytes {
            sqlite3_bind_blob(handle, Int32(index), $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)
        })
    }

    public func bindNull(at index: Int) throws {
        try check(sqlite3_bind_null(handle, Int32(index)))
    }

    public func bind(_ value: SQLValue, at index: Int) throws {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let v): try bind(v, at: index)
        case .real(let v): try bind(v, at: index)
        case .text(let v): try bind(v, at: index)
        case .blob(let v): try bind(v, at: index)
        }
    }

    /// Binds values to `?` parameters in order.
    public func bind(_ values: [SQLBindable]) throws {
        guard values.count == parameterCount else {
            throw StoreError("statement takes \(parameterCount) parameters, \(values.count) given: \(sql)")
        }
        for (offset, value) in values.enumerated() { try bind(value.sqlValue, at: offset + 1) }
    }

    /// Binds named parameters (`:name`, `@name`, `$name`); the keys are given without prefix.
    public func bind(named values: [String: SQLValue]) throws {
        var unused = Set(values.keys)
        for index in 1...max(parameterCount, 1) where index <= parameterCount {
            guard let fullName = parameterName(at: index) else {
                throw StoreError("statement uses a positional parameter (?) where named ones were expected: \(sql)")
            }
            let name = String(fullName.dropFirst())
            guard let value = values[name] else {
                throw StoreError("no value given for parameter \(fullName); pass it with --param \(name)=VALUE")
            }
            unused.remove(name)
            try bind(value, at: index)
        }
        if let extra = unused.sorted().first {
            throw StoreError("parameter '\(extra)' is not used by the statement")
        }
    }

    public func reset() { sqlite3_reset(handle) }
    public func clearBindings() { sqlite3_clear_bindings(handle) }

    // MARK: Stepping

    /// Advances; true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError(handle: database.handle, code: code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs a statement that returns no rows with `values` bound, then resets it for reuse.
    public func execute(_ values: SQLBindable...) throws {
        defer { sqlite3_reset(handle) }
        if !values.isEmpty { try bind(values) }
        while try step() {}
    }

    /// True when the statement does not write to the database.
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    // MARK: Reading the current row (0-based columns)

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: sqlite3_column_name(handle, Int32($0))) }
    }

    public func isNull(at column: Int) -> Bool {
        sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL
    }

    public func int64(at column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }
    public func int(at column: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(column))) }
    public func double(at column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }

    public func string(at column: Int) -> String {
        guard let text = sqlite3_column_text(handle, Int32(column)) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, Int32(column)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func optionalString(at column: Int) -> String? { isNull(at: column) ? nil : string(at: column) }
    public func optionalInt64(at column: Int) -> Int64? { isNull(at: column) ? nil : int64(at: column) }
    public func optionalDouble(at column: Int) -> Double? { isNull(at: column) ? nil : double(at: column) }

    public func value(at column: Int) -> SQLValue {
        switch sqlite3_column_type(handle, Int32(column)) {
        case SQLITE_INTEGER: return .integer(int64(at: column))
        case SQLITE_FLOAT: return .real(double(at: column))
        case SQLITE_TEXT: return .text(string(at: column))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, Int32(column)))
            guard let pointer = sqlite3_column_blob(handle, Int32(column)), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    /// The declared type of a result column that comes straight from a table column.
    public func declaredType(at column: Int) -> String? {
        sqlite3_column_decltype(handle, Int32(column)).map { String(cString: $0) }
    }

    /// Steps through all rows, calling `body` for each; resets afterwards.
    public func forEachRow(_ body: (Statement) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while try step() { try body(self) }
    }

    /// All remaining rows as values.
    public func rows() throws -> [Row] {
        let names = columnNames
        var result: [Row] = []
        try forEachRow { statement in
            result.append(Row(columns: names, values: (0..<names.count).map { statement.value(at: $0) }))
        }
        return result
    }
}
