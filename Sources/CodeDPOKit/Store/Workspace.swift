import Foundation

/// Opens codedpo databases the way commands need them: checked, migrated, read-only when
/// only reading. Every command goes through here, so the checks are the same everywhere.
public enum Workspace {
    /// Creates (or upgrades) the database at `path`. Returns the migrations applied.
    @discardableResult
    public static func initialize(path: String, migrator: Migrator = Migrator()) throws -> (Database, [Migration]) {
        let db = try Database(path: path, mode: .readWriteCreate)
        let applied = try migrator.migrate(db)
        return (db, applied)
    }

    /// Opens an existing database for a command that writes, applying pending migrations
    /// (reported through `notice`).
    public static func openForWriting(path: String, migrator: Migrator = Migrator(),
                                      notice: (String) -> Void = { _ in }) throws -> Database {
        try requireFile(path)
        let db = try Database(path: path, mode: .readWrite)
        let pending = try migrator.pending(in: db)
        if !pending.isEmpty {
            try migrator.migrate(db)
            notice("applied \(pending.count) pending migration(s) to \(path): \(pending.map(\.name).joined(separator: ", "))")
        } else {
            try migrator.verify(db)
        }
        return db
    }

    /// Opens an existing database read-only. A database with pending migrations is refused
    /// (its tables may lack what this version reads); `codedpo migrate` fixes that.
    public static func openForReading(path: String, migrator: Migrator = Migrator()) throws -> Database {
        try requireFile(path)
        let db = try Database(path: path, mode: .readOnly)
        try migrator.verify(db)
        let pending = try migrator.pending(in: db)
        if !pending.isEmpty {
            throw StoreError("\(path) needs \(pending.count) schema migration(s) this version expects (\(pending.map(\.name).joined(separator: ", "))): run `codedpo migrate --db \(path)` first.")
        }
        return db
    }

    public static func requireFile(_ path: String) throws {
        guard path != ":memory:" else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError("no database at \(path): create one with `codedpo init --db \(path)`, or pass --db PATH (or set CODEDPO_DB) to use another.")
        }
        if isDirectory.boolValue {
            throw StoreError("\(path) is a directory, not a database file: pass --db with a file path.")
        }
    }
}
