import CodeDPOMigrations
import Foundation

/// One numbered schema change, shipped inside the binary from `migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's text: an applied migration whose text changed is refused.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hex(sql)
    }

    /// The migrations compiled into this binary, in order.
    public static let bundled: [Migration] = EmbeddedMigrations.files.compactMap { name, sql in
        guard let version = Int(name.prefix { $0.isNumber }), name.hasSuffix(".sql") else { return nil }
        return Migration(version: version, name: name, sql: sql)
    }.sorted { $0.version < $1.version }
}

/// A migration recorded as applied in a database.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: String
    public let toolVersion: String
}

public struct MigrationStatus: Sendable {
    public enum State: String, Sendable { case applied, pending }
    public let version: Int
    public let name: String
    public let state: State
    public let appliedAt: String?
}

/// Applies migrations in order, one transaction each, and records them with their checksum.
public struct Migrator {
    /// Marks a database as codedpo's ("CDPO"), so a foreign SQLite file is recognised.
    public static let applicationID: Int32 = 0x4344_504F

    public let migrations: [Migration]

    public init(migrations: [Migration] = Migration.bundled) {
        precondition(Set(migrations.map(\.version)).count == migrations.count, "duplicate migration version")
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            tool_version TEXT NOT NULL
        )
        """

    public func applied(in db: Database) throws -> [AppliedMigration] {
        guard try db.tableExists("schema_migrations") else { return [] }
        return try db.rows("SELECT version, name, checksum, applied_at, tool_version FROM schema_migrations ORDER BY version")
            .map {
                AppliedMigration(version: $0[0].int ?? 0, name: $0[1].string ?? "", checksum: $0[2].string ?? "",
                                 appliedAt: $0[3].string ?? "", toolVersion: $0[4].string ?? "")
            }
    }

    /// Refuses a database this binary cannot safely use: not codedpo's, made by a newer
    /// version, or with an applied migration whose text has changed since.
    public func verify(_ db: Database) throws {
        let applicationID = try db.int("PRAGMA application_id") ?? 0
        let hasTables = try !db.tableNames().isEmpty
        if applicationID != Self.applicationID && applicationID != 0 {
            throw StoreError("\(db.path) is not a codedpo database (its application_id is \(applicationID)). Pass --db with a codedpo database, or `codedpo init` a new file.")
        }
        let hasMigrations = try db.tableExists("schema_migrations")
        if applicationID == 0 && hasTables && !hasMigrations {
            throw StoreError("\(db.path) is not a codedpo database: it has tables but no schema_migrations. Pass --db with a codedpo database, or `codedpo init` a new file.")
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in try applied(in: db) {
            guard let migration = known[record.version] else {
                throw StoreError("""
                    \(db.path) was made by a newer codedpo: it has schema migration \(record.version) (\(record.name), \
                    applied by codedpo \(record.toolVersion)), but this codedpo \(CodeDPO.version) knows migrations up to \
                    \(latestVersion). Upgrade codedpo to use this database.
                    """)
            }
            if migration.checksum != record.checksum {
                throw StoreError("""
                    migration \(record.version) (\(migration.name)) was edited after it was applied to \(db.path): \
                    recorded checksum \(record.checksum.prefix(12))…, this binary's \(migration.checksum.prefix(12))…. \
                    Applied migrations must never change: restore the original file and add a new migration instead.
                    """)
            }
        }
    }

    public func status(of db: Database) throws -> [MigrationStatus] {
        let applied = Dictionary(uniqueKeysWithValues: try applied(in: db).map { ($0.version, $0) })
        return migrations.map {
            MigrationStatus(version: $0.version, name: $0.name,
                            state: applied[$0.version] == nil ? .pending : .applied,
                            appliedAt: applied[$0.version]?.appliedAt)
        }
    }

    public func pending(in db: Database) throws -> [Migration] {
        let done = Set(try applied(in: db).map(\.version))
        return migrations.filter { !done.contains($0.version) }
    }

    /// Verifies, then applies every pending migration, each in its own transaction
    /// together with its schema_migrations row. Returns what was applied.
    @discardableResult
    public func migrate(_ db: Database) throws -> [Migration] {
        try verify(db)
        try db.transaction {
            try db.execute(Self.createTable)
            try db.execute("PRAGMA application_id = \(Self.applicationID)")
        }
        var done: [Migration] = []
        for migration in try pending(in: db) {
            try db.transaction {
                do {
                    try db.execute(migration.sql)
                } catch let error as SQLiteError {
                    throw StoreError("migration \(migration.name) failed: \(error.description)")
                }
                try db.run("INSERT INTO schema_migrations (version, name, checksum, tool_version) VALUES (?, ?, ?, ?)",
                           migration.version, migration.name, migration.checksum, CodeDPO.version)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
            done.append(migration)
        }
        return done
    }
}
