import CSQLite

/// True when `sql` ends with a complete statement (SQLite's own check, aware of strings,
/// comments and triggers).
func sqliteComplete(_ sql: String) -> Bool {
    sqlite3_complete(sql) != 0
}
