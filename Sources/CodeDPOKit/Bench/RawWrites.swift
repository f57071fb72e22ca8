import Foundation

/// The floor a stage's write cost is held to: the same number of rows written into the same
/// table of the same database through one reused prepared statement in one transaction
/// (values computed beforehand), then removed again (the removal is not timed).
enum RawWrites {
    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// `rows` score rows under a new score run, iteration by iteration over the solutions.
    static func scores(_ db: Database, rows: Int) throws -> Double {
        guard rows > 0, let config = try db.int("SELECT max(config_id) FROM score_runs").map(Int64.init),
              let run = try db.int("SELECT max(run_id) FROM score_runs").map(Int64.init) else { return 0 }
        try db.run("INSERT INTO score_runs (run_id, strategy, config_id) VALUES (?, 'raw', ?)", run, config)
        let scoreRun = db.lastInsertRowID
        var ids: [Int64] = []
        try db.prepare("SELECT id FROM solutions ORDER BY id").forEachRow { ids.append($0.int64(at: 0)) }
        let start = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            let insert = try db.prepare("INSERT INTO scores (score_run_id, iteration, solution_id, value) VALUES (?, ?, ?, ?)")
            // Solution by solution, every iteration: the order the scores index is kept in.
            let iterations = (rows + ids.count - 1) / max(ids.count, 1)
            var written = 0
            for id in ids {
                for iteration in 0..<iterations where written < rows {
                    try insert.bind(scoreRun, at: 1)
                    try insert.bind(Int64(iteration), at: 2)
                    try insert.bind(id, at: 3)
                    try insert.bind(Double(written), at: 4)
                    try insert.step()
                    insert.reset()
                    written += 1
                }
            }
        }
        let elapsed = seconds(since: start)
        try db.transaction {
            try db.run("DELETE FROM scores WHERE score_run_id = ?", scoreRun)
            try db.run("DELETE FROM score_runs WHERE id = ?", scoreRun)
        }
        return elapsed
    }

    /// `rows` correctness pairs (neighbouring solutions of a problem) under a new pair set,
    /// plus reading the candidates they are chosen from.
    static func pairs(_ db: Database, rows: Int) throws -> Double {
        guard rows > 0, let scoreRun = try db.int("SELECT min(id) FROM score_runs").map(Int64.init),
              let run = try db.int("SELECT max(id) FROM runs").map(Int64.init) else { return 0 }
        try db.run("INSERT INTO pair_sets (name, run_id, score_run_id, policy) VALUES ('bench-raw', ?, ?, '{}')", run, scoreRun)
        let pairSet = db.lastInsertRowID
        var candidates: [(problem: Int64, chosen: Int64, rejected: Int64)] = []
        var previous: (problem: Int64, id: Int64)?
        try db.prepare("SELECT id, problem_id FROM solutions ORDER BY problem_id, id").forEachRow { row in
            let id = row.int64(at: 0), problem = row.int64(at: 1)
            if candidates.count < rows, let last = previous, last.problem == problem { candidates.append((problem, last.id, id)) }
            previous = (problem, id)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            let insert = try db.prepare("""
                INSERT INTO pairs (pair_set_id, problem_id, kind, chosen_solution_id, rejected_solution_id, chosen_score, rejected_score, margin)
                VALUES (?, ?, 'correctness', ?, ?, ?, ?, ?)
                """)
            for pair in candidates {
                try insert.bind(pairSet, at: 1)
                try insert.bind(pair.problem, at: 2)
                try insert.bind(pair.chosen, at: 3)
                try insert.bind(pair.rejected, at: 4)
                try insert.bind(1.0, at: 5)
                try insert.bind(0.5, at: 6)
                try insert.bind(0.5, at: 7)
                try insert.step()
                insert.reset()
            }
        }
        var elapsed = seconds(since: start)
        // Pairs cannot be chosen without reading every candidate: add the bare read of each
        // scored solution's final score and code (what any pair builder must look at).
        let readStart = DispatchTime.now().uptimeNanoseconds
        var bytes = 0
        try db.prepare("""
            SELECT s.problem_id, s.id, sc.value, s.code FROM solutions s
            CROSS JOIN scores sc ON sc.score_run_id = ?1 AND sc.solution_id = s.id
                AND sc.iteration = (SELECT final_iteration FROM score_runs WHERE id = ?1)
            """).rows(binding: [scoreRun]) { row in bytes += row.string("code")?.utf8.count ?? 0 }
        elapsed += seconds(since: readStart)
        guard bytes > 0 else { throw StoreError("bench: no candidate code read for score run \(scoreRun)") }
        try db.transaction {
            try db.run("DELETE FROM pairs WHERE pair_set_id = ?", pairSet)
            try db.run("DELETE FROM pair_sets WHERE id = ?", pairSet)
        }
        return elapsed
    }

    /// The tables a database holds rows in, in creation order (which is dependency order).
    static func tables(_ db: Database) throws -> [String] {
        try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY rowid")
            .compactMap { $0["name"].string }
    }

    /// Rows in every table: what a merge into a new file writes.
    static func rowCount(_ db: Database) throws -> Int {
        try tables(db).reduce(0) { $0 + (try db.int("SELECT count(*) FROM \"\($1)\"") ?? 0) }
    }

    /// Every row of every table copied as is into a new database with the same schema
    /// (indexes and foreign keys on): the least a merge into a new file must write.
    static func copy(from source: String, to path: String) throws -> Double {
        let (db, _) = try Workspace.initialize(path: path)
        try db.run("ATTACH DATABASE ? AS src", source)
        defer { try? db.execute("DETACH DATABASE src") }
        let names = try tables(db)
        let start = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            for table in names { try db.execute("INSERT INTO main.\"\(table)\" SELECT * FROM src.\"\(table)\"") }
        }
        return seconds(since: start)
    }
}
