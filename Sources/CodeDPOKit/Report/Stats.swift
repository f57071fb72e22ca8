/// Row counts per table and per status-like column: the first thing to look at in a database.
public struct Stats: Equatable {
    public struct Breakdown: Equatable {
        public let table: String
        public let column: String
        public let counts: [(value: String, rows: Int)]

        public static func == (lhs: Breakdown, rhs: Breakdown) -> Bool {
            lhs.table == rhs.table && lhs.column == rhs.column
                && lhs.counts.map(\.value) == rhs.counts.map(\.value) && lhs.counts.map(\.rows) == rhs.counts.map(\.rows)
        }
    }

    public let path: String
    public let schemaVersion: Int
    public let tables: [(name: String, rows: Int)]
    public let breakdowns: [Breakdown]

    public static func == (lhs: Stats, rhs: Stats) -> Bool {
        lhs.path == rhs.path && lhs.schemaVersion == rhs.schemaVersion
            && lhs.tables.map(\.name) == rhs.tables.map(\.name) && lhs.tables.map(\.rows) == rhs.tables.map(\.rows)
            && lhs.breakdowns == rhs.breakdowns
    }

    /// The columns whose values are worth counting, in pipeline order.
    static let breakdownColumns: [(table: String, column: String)] = [
        ("runs", "status"), ("seeds", "kind"), ("seeds", "language"), ("generations", "status"),
        ("generation_outputs", "parse_status"), ("tests", "kind"), ("executions", "status"),
        ("score_runs", "strategy"), ("efficiency_results", "status"), ("pairs", "kind"), ("exports", "format"),
    ]

    public static func collect(_ db: Database) throws -> Stats {
        let names = try db.tableNames()
        let tables = try names.map { ($0, try db.int("SELECT count(*) FROM \"\($0)\"") ?? 0) }
        var breakdowns: [Breakdown] = []
        for (table, column) in breakdownColumns where names.contains(table) {
            let rows = try db.rows("SELECT \(column), count(*) FROM \(table) GROUP BY 1 ORDER BY 2 DESC, 1")
            breakdowns.append(Breakdown(table: table, column: column,
                                        counts: rows.map { ($0[0].string ?? "NULL", $0[1].int ?? 0) }))
        }
        return Stats(path: db.path, schemaVersion: try db.int("PRAGMA user_version") ?? 0,
                     tables: tables, breakdowns: breakdowns)
    }

    public var json: JSON {
        .object([
            ("database", .string(path)),
            ("schema_version", .int(Int64(schemaVersion))),
            ("tables", .object(tables.map { ($0.name, .int(Int64($0.rows))) })),
            ("breakdowns", .object(breakdowns.map { breakdown in
                ("\(breakdown.table).\(breakdown.column)",
                 .object(breakdown.counts.map { ($0.value, .int(Int64($0.rows))) }))
            })),
        ])
    }
}
