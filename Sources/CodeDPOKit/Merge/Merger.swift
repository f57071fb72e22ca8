import Foundation

/// What merging one input added, and what it refused to add.
public struct MergeReport: Sendable {
    public var input: String
    /// Rows added per table, in merge order.
    public var added: [(table: String, rows: Int)] = []
    public var conflicts: [MergeConflict] = []
    /// Solutions and tests left out because their problem conflicted.
    public var skippedRows = 0
    public var seconds = 0.0

    public var totalAdded: Int { added.reduce(0) { $0 + $1.rows } }

    public var json: JSON {
        .object([("input", .string(input)),
                 ("added", .object(added.map { ($0.table, JSON.int(Int64($0.rows))) })),
                 ("conflicts", .array(conflicts.map(\.json))),
                 ("skipped_rows", .int(Int64(skippedRows))),
                 ("seconds", .double(seconds))])
    }
}

/// Two databases disagree about one thing; the output keeps what it had.
public struct MergeConflict: Sendable {
    public var kind: String
    public var detail: String

    public var json: JSON { .object([("kind", .string(kind)), ("detail", .string(detail))]) }
}

/// Merges codedpo databases made from the same data, typically shards of one job
/// (`execute --shard i/N --db shard-i.db`), into one.
///
/// Rows are matched by what they are, never by their ids, which differ between databases:
/// problems by content hash, solutions and tests by (problem, content hash), configs by the
/// hash of their settings, runs by (command, argv, start time, host, pid), generations by
/// their slot. What only one side has is added; verdicts, generations, timings and sources
/// are unioned; where both sides have the same thing with different content (a verdict, a
/// problem id bound to another prompt, a pair set name) the output keeps its own and the
/// conflict is reported. Merging the same input again adds nothing. Efficiency runs that are
/// shards of one job (same score run and parameters but the shard) become one run, so pairs
/// can use all of their timings.
public struct Merger {
    public let db: Database
    public let runID: Int64

    public init(db: Database, runID: Int64) {
        self.db = db
        self.runID = runID
    }

    /// Checks that `path` is a codedpo database with exactly the migrations of the output.
    public static func checkInput(_ path: String, against output: Database) throws {
        let input = try Workspace.openForReading(path: path)
        let mine = try output.rows("SELECT version, checksum FROM schema_migrations ORDER BY version").map { "\($0[0].int64!):\($0[1].string!)" }
        let theirs = try input.rows("SELECT version, checksum FROM schema_migrations ORDER BY version").map { "\($0[0].int64!):\($0[1].string!)" }
        guard mine == theirs else {
            throw StoreError("\(path) has schema migrations \(theirs.count) and \(output.path) has \(mine.count), or they differ: run `codedpo migrate --db \(path)` with this codedpo version first.")
        }
    }

    public func merge(path: String) throws -> MergeReport {
        let start = DispatchTime.now().uptimeNanoseconds
        if let same = try? FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int,
           let mine = try? FileManager.default.attributesOfItem(atPath: db.path)[.systemFileNumber] as? Int, same == mine {
            throw StoreError("\(path) is the output database itself: name each input once and the output first (codedpo merge OUT IN...).")
        }
        try Self.checkInput(path, against: db)
        try db.run("ATTACH DATABASE ? AS src", path)
        defer { try? db.execute("DETACH DATABASE src") }
        var report = MergeReport(input: path)
        try db.transaction {
            try createMaps()
            try mergeRuns(&report)
            try mergeSources(&report)
            try mergeSeeds(&report)
            try mergeGenerations(problemStage: true, &report)
            try mergeProblems(&report)
            try mergeGenerations(problemStage: false, &report)
            try mergeGenerationOutputs(&report)
            try mergeSolutionsAndTests(&report)
            try mergeExecutions(&report)
            try mergeModelEvaluations(&report)
            try mergeScoreRuns(&report)
            try mergeEfficiency(&report)
            try mergePairs(&report)
            try mergeDecontamination(&report)
            try dropMaps()
        }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return report
    }

    // MARK: id maps

    private static let maps = ["runs", "sources", "seeds", "generations", "problems", "solutions", "tests", "configs",
                               "score_runs", "efficiency_runs", "pair_sets", "benchmarks", "benchmark_items", "decontamination_runs"]

    private func createMaps() throws {
        for map in Self.maps {
            try db.execute("DROP TABLE IF EXISTS temp.map_\(map); CREATE TEMP TABLE map_\(map) (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL)")
        }
    }

    private func dropMaps() throws {
        for map in Self.maps { try db.execute("DROP TABLE temp.map_\(map)") }
    }

    /// Runs the insert and records how many rows it added to `table`.
    private func add(_ table: String, _ sql: String, _ report: inout MergeReport) throws {
        try db.execute(sql)
        let rows = Int(db.changes)
        if let index = report.added.firstIndex(where: { $0.table == table }) {
            report.added[index].rows += rows
        } else {
            report.added.append((table, rows))
        }
    }

    private func conflicts(_ kind: String, _ sql: String, _ report: inout MergeReport) throws {
        for row in try db.rows(sql) {
            report.conflicts.append(MergeConflict(kind: kind, detail: row[0].string ?? ""))
        }
    }

    /// Every table the merge writes, in the order it writes them. A table missing here is
    /// never merged (a test fails when the schema has one that is not listed).
    public static let mergedTables = ["runs", "sources", "seeds", "seed_sources", "generations", "problems", "problem_sources",
                                      "generation_outputs", "solutions", "solution_sources", "tests", "test_sources",
                                      "execution_configs", "executions", "score_runs", "scores", "efficiency_runs", "trusted_tests",
                                      "timings", "efficiency_results", "pair_sets", "pairs", "exports", "model_evaluations",
                                      "benchmarks", "benchmark_items", "decontamination_runs", "contamination_matches"]

    /// Tables the merge leaves alone on purpose, and why.
    public static let unmergedTables = [
        "execution_claims": "which running execute holds which solution: work in progress in one database, not data",
    ]

    /// `(columns) SELECT values` for inserting rows aliased `alias` into main.`table`: the
    /// table's columns as the schema has them now (PRAGMA table_info, so a column a migration
    /// adds is copied without an edit here), its INTEGER PRIMARY KEY left to the output, each
    /// value `alias.column` unless `mapped` gives it. A foreign key without a mapping, or a
    /// mapping for no column, is refused: ids differ between databases.
    func insertColumns(_ table: String, from alias: String, _ mapped: [String: String] = [:]) throws -> String {
        let info = try db.rows("SELECT name, type, pk FROM pragma_table_info(?, 'main')", table)
        guard !info.isEmpty else { throw StoreError("merge: no table \(table) in the output") }
        let rowID = info.filter { ($0["pk"].int ?? 0) > 0 }.count == 1
            ? info.first { ($0["pk"].int ?? 0) > 0 && ($0["type"].string ?? "").uppercased() == "INTEGER" }?["name"].string : nil
        let columns = info.compactMap { $0["name"].string }.filter { $0 != rowID }
        if let unknown = mapped.keys.sorted().first(where: { !columns.contains($0) }) {
            throw StoreError("merge: the rule for \(table) maps \(unknown), which the table does not have")
        }
        for row in try db.rows("SELECT \"from\" AS name, \"table\" AS target FROM pragma_foreign_key_list(?, 'main')", table) {
            guard let name = row["name"].string, mapped[name] != nil else {
                throw StoreError("merge: \(table).\(row["name"].string ?? "?") refers to \(row["target"].string ?? "?") but has no id mapping: add one to the merge")
            }
        }
        return "(\(columns.joined(separator: ", "))) SELECT \(columns.map { mapped[$0] ?? "\(alias).\($0)" }.joined(separator: ", "))"
    }

    // MARK: stages, in dependency order

    private func mergeRuns(_ report: inout MergeReport) throws {
        let same = "m.command = r.command AND m.argv = r.argv AND m.started_at = r.started_at AND m.host IS r.host AND m.pid IS r.pid"
        try add("runs", """
            INSERT INTO main.runs \(try insertColumns("runs", from: "r"))
            FROM src.runs r WHERE NOT EXISTS (SELECT 1 FROM main.runs m WHERE \(same)) ORDER BY r.id
            """, &report)
        try db.execute("INSERT INTO map_runs SELECT r.id, (SELECT min(m.id) FROM main.runs m WHERE \(same)) FROM src.runs r")
        // A run still 'running' here that finished in the input (a shard copied mid-run) takes
        // the input's ending.
        try db.execute("""
            UPDATE main.runs SET (finished_at, status, error, summary) =
                (SELECT r.finished_at, r.status, r.error, r.summary FROM src.runs r JOIN map_runs mr ON mr.src = r.id
                 WHERE mr.dst = main.runs.id AND r.status <> 'running' LIMIT 1)
            WHERE status = 'running' AND id IN (SELECT mr.dst FROM map_runs mr JOIN src.runs r ON r.id = mr.src WHERE r.status <> 'running')
            """)
    }

    private func mergeSources(_ report: inout MergeReport) throws {
        try add("sources", """
            INSERT INTO main.sources \(try insertColumns("sources", from: "s", ["run_id": "mr.dst"]))
            FROM src.sources s JOIN map_runs mr ON mr.src = s.run_id
            WHERE s.identity NOT IN (SELECT identity FROM main.sources) ORDER BY s.id
            """, &report)
        try db.execute("INSERT INTO map_sources SELECT s.id, m.id FROM src.sources s JOIN main.sources m ON m.identity = s.identity")
    }

    private func mergeSeeds(_ report: inout MergeReport) throws {
        try add("seeds", """
            INSERT INTO main.seeds \(try insertColumns("seeds", from: "s", ["run_id": "mr.dst"]))
            FROM src.seeds s JOIN map_runs mr ON mr.src = s.run_id
            WHERE s.content_hash NOT IN (SELECT content_hash FROM main.seeds) ORDER BY s.id
            """, &report)
        try db.execute("INSERT INTO map_seeds SELECT s.id, m.id FROM src.seeds s JOIN main.seeds m ON m.content_hash = s.content_hash")
        try add("seed_sources", """
            INSERT OR IGNORE INTO main.seed_sources \(try insertColumns("seed_sources", from: "x", ["seed_id": "ms.dst", "source_id": "mso.dst", "run_id": "mr.dst"]))
            FROM src.seed_sources x JOIN map_seeds ms ON ms.src = x.seed_id JOIN map_sources mso ON mso.src = x.source_id
            JOIN map_runs mr ON mr.src = x.run_id
            """, &report)
    }

    /// Generations are keyed by their slot: (stage, problem or seed, slot). Problem-stage
    /// generations (from seeds) come before problems, which may point at them; the others
    /// after, since they point at problems.
    private func mergeGenerations(problemStage: Bool, _ report: inout MergeReport) throws {
        let which = problemStage ? "g.problem_id IS NULL" : "g.problem_id IS NOT NULL"
        let mapped = """
            SELECT g.*, g.id AS src_id, mr.dst AS new_run_id, ms.dst AS new_seed_id, mp.dst AS new_problem_id
            FROM src.generations g JOIN map_runs mr ON mr.src = g.run_id
            LEFT JOIN map_seeds ms ON ms.src = g.seed_id LEFT JOIN map_problems mp ON mp.src = g.problem_id
            WHERE \(which) AND (g.seed_id IS NULL OR ms.dst IS NOT NULL) AND (g.problem_id IS NULL OR mp.dst IS NOT NULL)
            """
        let slot = "m.stage = x.stage AND ifnull(m.problem_id, 0) = ifnull(x.new_problem_id, 0) AND ifnull(m.seed_id, 0) = ifnull(x.new_seed_id, 0) AND m.slot = x.slot"
        try db.execute("DROP TABLE IF EXISTS temp.merge_generations; CREATE TEMP TABLE merge_generations AS \(mapped)")
        try add("generations", """
            INSERT INTO main.generations \(try insertColumns("generations", from: "x", ["run_id": "x.new_run_id", "seed_id": "x.new_seed_id", "problem_id": "x.new_problem_id"]))
            FROM merge_generations x WHERE NOT EXISTS (SELECT 1 FROM main.generations m WHERE \(slot)) ORDER BY src_id
            """, &report)
        // The same slot answered differently on two sides: both were real requests, but a
        // slot is one request, so the output keeps its own.
        try conflicts("generation", """
            SELECT 'generation slot ' || x.stage || ' ' || ifnull(x.new_problem_id, 's' || x.new_seed_id) || '#' || x.slot
                || ': output has generation ' || m.id || ', input a different request or response (kept the output''s)'
            FROM merge_generations x JOIN main.generations m ON \(slot)
            WHERE m.run_id <> x.new_run_id AND (m.request <> x.request OR m.response IS NOT x.response)
            """, &report)
        try db.execute("INSERT OR REPLACE INTO map_generations SELECT x.src_id, m.id FROM merge_generations x JOIN main.generations m ON \(slot)")
        try db.execute("DROP TABLE temp.merge_generations")
    }

    private func mergeGenerationOutputs(_ report: inout MergeReport) throws {
        try add("generation_outputs", """
            INSERT OR IGNORE INTO main.generation_outputs \(try insertColumns("generation_outputs", from: "o", ["generation_id": "mg.dst"]))
            FROM src.generation_outputs o JOIN map_generations mg ON mg.src = o.generation_id ORDER BY o.id
            """, &report)
    }

    private func mergeProblems(_ report: inout MergeReport) throws {
        try conflicts("problem", """
            SELECT 'problem ' || s.external_id || ': the input''s prompt differs from the output''s (content hash '
                || substr(s.content_hash, 1, 12) || ' vs ' || substr(m.content_hash, 1, 12) || '); its solutions, tests and verdicts were not merged'
            FROM src.problems s JOIN main.problems m ON m.external_id = s.external_id AND m.content_hash <> s.content_hash
            """, &report)
        try add("problems", """
            INSERT INTO main.problems \(try insertColumns("problems", from: "p", ["seed_id": "ms.dst", "generation_id": "mg.dst", "run_id": "mr.dst"]))
            FROM src.problems p JOIN map_runs mr ON mr.src = p.run_id
            LEFT JOIN map_seeds ms ON ms.src = p.seed_id LEFT JOIN map_generations mg ON mg.src = p.generation_id
            WHERE p.content_hash NOT IN (SELECT content_hash FROM main.problems)
              AND p.external_id NOT IN (SELECT external_id FROM main.problems) ORDER BY p.id
            """, &report)
        try db.execute("INSERT INTO map_problems SELECT p.id, m.id FROM src.problems p JOIN main.problems m ON m.content_hash = p.content_hash")
        try add("problem_sources", """
            INSERT OR IGNORE INTO main.problem_sources \(try insertColumns("problem_sources", from: "x", ["problem_id": "mp.dst", "source_id": "ms.dst", "run_id": "mr.dst"]))
            FROM src.problem_sources x JOIN map_problems mp ON mp.src = x.problem_id JOIN map_sources ms ON ms.src = x.source_id
            JOIN map_runs mr ON mr.src = x.run_id
            """, &report)
    }

    /// Solutions and tests: new ones come with their sample count; for ones both sides have,
    /// the count grows by the provenance rows only the input has (shards copied from one base
    /// share theirs, so nothing is counted twice).
    private func mergeSolutionsAndTests(_ report: inout MergeReport) throws {
        for (table, sources, entity, map, key) in [("solutions", "solution_sources", "solution_id", "map_solutions", ""),
                                                   ("tests", "test_sources", "test_id", "map_tests", " AND m.kind = x.kind")] {
            try db.execute("""
                INSERT INTO \(map) SELECT x.id, m.id FROM src.\(table) x JOIN map_problems mp ON mp.src = x.problem_id
                JOIN main.\(table) m ON m.problem_id = mp.dst AND m.content_hash = x.content_hash\(key)
                """)
            try db.execute("""
                UPDATE main.\(table) SET sample_count = sample_count + (
                    SELECT sum(xs.count) FROM src.\(sources) xs JOIN \(map) mx ON mx.src = xs.\(entity)
                    JOIN map_sources ms ON ms.src = xs.source_id
                    WHERE mx.dst = main.\(table).id AND NOT EXISTS (SELECT 1 FROM main.\(sources) o
                        WHERE o.\(entity) = mx.dst AND o.source_id = ms.dst AND o.locator = xs.locator))
                WHERE id IN (SELECT mx.dst FROM \(map) mx JOIN src.\(sources) xs ON xs.\(entity) = mx.src
                    JOIN map_sources ms ON ms.src = xs.source_id
                    WHERE NOT EXISTS (SELECT 1 FROM main.\(sources) o WHERE o.\(entity) = mx.dst AND o.source_id = ms.dst AND o.locator = xs.locator))
                """)
            try add(table, """
                INSERT INTO main.\(table) \(try insertColumns(table, from: "x", ["problem_id": "mp.dst", "run_id": "mr.dst"]))
                FROM src.\(table) x JOIN map_problems mp ON mp.src = x.problem_id JOIN map_runs mr ON mr.src = x.run_id
                WHERE x.id NOT IN (SELECT src FROM \(map)) ORDER BY x.id
                """, &report)
            try db.execute("""
                INSERT INTO \(map) SELECT x.id, m.id FROM src.\(table) x JOIN map_problems mp ON mp.src = x.problem_id
                JOIN main.\(table) m ON m.problem_id = mp.dst AND m.content_hash = x.content_hash\(key)
                WHERE x.id NOT IN (SELECT src FROM \(map))
                """)
            try add(sources, """
                INSERT OR IGNORE INTO main.\(sources) \(try insertColumns(sources, from: "xs", [entity: "mx.dst", "source_id": "ms.dst", "run_id": "mr.dst", "generation_id": "mg.dst"]))
                FROM src.\(sources) xs JOIN \(map) mx ON mx.src = xs.\(entity) JOIN map_sources ms ON ms.src = xs.source_id
                JOIN map_runs mr ON mr.src = xs.run_id LEFT JOIN map_generations mg ON mg.src = xs.generation_id
                """, &report)
            report.skippedRows += try db.int("SELECT count(*) FROM src.\(table) WHERE id NOT IN (SELECT src FROM \(map))") ?? 0
        }
    }

    private func mergeExecutions(_ report: inout MergeReport) throws {
        try add("execution_configs", """
            INSERT INTO main.execution_configs \(try insertColumns("execution_configs", from: "c", ["run_id": "mr.dst"]))
            FROM src.execution_configs c JOIN map_runs mr ON mr.src = c.run_id
            WHERE c.content_hash NOT IN (SELECT content_hash FROM main.execution_configs) ORDER BY c.id
            """, &report)
        try db.execute("INSERT INTO map_configs SELECT c.id, m.id FROM src.execution_configs c JOIN main.execution_configs m ON m.content_hash = c.content_hash")
        let mapped = """
            FROM src.executions e JOIN map_configs mc ON mc.src = e.config_id JOIN map_solutions ms ON ms.src = e.solution_id
            JOIN map_tests mt ON mt.src = e.test_id
            """
        try conflicts("verdict", """
            SELECT 'config ' || mc.dst || ', solution ' || ms.dst || ', test ' || mt.dst || ': output has ' || m.status || ', input ' || e.status
                || ' (kept ' || m.status || ')'
            \(mapped) JOIN main.executions m ON m.config_id = mc.dst AND m.solution_id = ms.dst AND m.test_id = mt.dst
            WHERE m.status <> e.status
            """, &report)
        try add("executions", """
            INSERT INTO main.executions \(try insertColumns("executions", from: "e", ["config_id": "mc.dst", "solution_id": "ms.dst", "test_id": "mt.dst", "run_id": "mr.dst"]))
            \(mapped) JOIN map_runs mr ON mr.src = e.run_id
            WHERE NOT EXISTS (SELECT 1 FROM main.executions m WHERE m.config_id = mc.dst AND m.solution_id = ms.dst AND m.test_id = mt.dst)
            ORDER BY e.id
            """, &report)
    }

    /// A model evaluation is the output of one command: the same when its run and time are.
    private func mergeModelEvaluations(_ report: inout MergeReport) throws {
        try add("model_evaluations", """
            INSERT INTO main.model_evaluations \(try insertColumns("model_evaluations", from: "x", ["run_id": "mr.dst", "config_id": "mc.dst"]))
            FROM src.model_evaluations x JOIN map_runs mr ON mr.src = x.run_id JOIN map_configs mc ON mc.src = x.config_id
            WHERE NOT EXISTS (SELECT 1 FROM main.model_evaluations m WHERE m.run_id = mr.dst AND m.created_at = x.created_at) ORDER BY x.id
            """, &report)
    }

    /// A score run is the output of one command: it is the same run when its run is.
    private func mergeScoreRuns(_ report: inout MergeReport) throws {
        let same = "m.run_id = mr.dst AND m.strategy = s.strategy AND m.parameters = s.parameters AND m.config_id = mc.dst AND m.test_kind = s.test_kind AND m.created_at = s.created_at"
        try db.execute("""
            INSERT INTO map_score_runs SELECT s.id, m.id FROM src.score_runs s JOIN map_runs mr ON mr.src = s.run_id
            JOIN map_configs mc ON mc.src = s.config_id JOIN main.score_runs m ON \(same)
            """)
        let new = try db.rows("""
            SELECT s.id FROM src.score_runs s JOIN map_runs mr ON mr.src = s.run_id JOIN map_configs mc ON mc.src = s.config_id
            WHERE s.id NOT IN (SELECT src FROM map_score_runs) ORDER BY s.id
            """).map { $0[0].int64! }
        var added = 0, scores = 0
        for id in new {
            try db.run("""
                INSERT INTO main.score_runs \(try insertColumns("score_runs", from: "s", ["run_id": "mr.dst", "config_id": "mc.dst"]))
                FROM src.score_runs s JOIN map_runs mr ON mr.src = s.run_id JOIN map_configs mc ON mc.src = s.config_id WHERE s.id = ?
                """, id)
            let dst = db.lastInsertRowID
            try db.run("INSERT INTO map_score_runs VALUES (?, ?)", id, dst)
            try db.run("""
                INSERT INTO main.scores \(try insertColumns("scores", from: "x", ["score_run_id": "?1", "solution_id": "ms.dst", "test_id": "mt.dst"])) FROM src.scores x
                LEFT JOIN map_solutions ms ON ms.src = x.solution_id LEFT JOIN map_tests mt ON mt.src = x.test_id
                WHERE x.score_run_id = ?2 AND (ms.dst IS NOT NULL OR mt.dst IS NOT NULL)
                """, dst, id)
            scores += Int(db.changes)
            added += 1
        }
        report.added.append(("score_runs", added))
        report.added.append(("scores", scores))
    }

    /// Efficiency runs made with --shard are pieces of one job: the pieces with the same score
    /// run, config, method, repetitions and parameters (but the shard) become one run whose
    /// parameters list the shards it holds. Other runs are matched by their run.
    private func mergeEfficiency(_ report: inout MergeReport) throws {
        let runs = try db.rows("""
            SELECT e.id, mr.dst, msr.dst, mc.dst, e.method, e.repeat, e.parameters, e.summary, e.created_at,
                   json_extract(e.parameters, '$.shard'), json_remove(e.parameters, '$.shard', '$.shards')
            FROM src.efficiency_runs e JOIN map_runs mr ON mr.src = e.run_id JOIN map_score_runs msr ON msr.src = e.score_run_id
            LEFT JOIN map_configs mc ON mc.src = e.config_id ORDER BY e.id
            """)
        var added = 0
        for row in runs {
            let srcID = row[0].int64!, run = row[1].int64!, scoreRun = row[2].int64!, config = row[3].int64
            let method = row[4].string!, repeatCount = row[5].int64!, parameters = row[6].string!
            let shard = row[9].string, unsharded = row[10].string!
            var dst: Int64?
            if let shard {
                let total = shard.split(separator: "/").last.map(String.init) ?? ""
                // The combined run of this job, if an earlier shard made it.
                let candidates = try db.rows("""
                    SELECT id, json_extract(parameters, '$.shards') FROM main.efficiency_runs
                    WHERE score_run_id = ? AND config_id IS ? AND method = ? AND repeat = ?
                      AND json_remove(parameters, '$.shard', '$.shards') = ? AND json_extract(parameters, '$.shards') IS NOT NULL
                    """, scoreRun, config, method, repeatCount, unsharded)
                for candidate in candidates {
                    let shards = (try? JSON.parse(candidate[1].string ?? "[]"))?.arrayValue?.compactMap(\.stringValue) ?? []
                    if shards.first.map({ $0.hasSuffix("/" + total) }) ?? false {
                        dst = candidate[0].int64
                        if !shards.contains(shard) {
                            let updated = JSON((shards + [shard]).sorted { $0.localizedStandardCompare($1) == .orderedAscending })
                            try db.run("UPDATE main.efficiency_runs SET parameters = json_set(parameters, '$.shards', json(?)) WHERE id = ?", updated.text, dst!)
                        }
                        break
                    }
                }
                if dst == nil {
                    try db.run("""
                        INSERT INTO main.efficiency_runs \(try insertColumns("efficiency_runs", from: "e", [
                            "run_id": "?1", "score_run_id": "?2", "config_id": "?3",
                            "parameters": "json_set(e.parameters, '$.shard', NULL, '$.shards', json_array(json_extract(e.parameters, '$.shard')))",
                            "summary": "NULL"]))
                        FROM src.efficiency_runs e WHERE e.id = ?4
                        """, run, scoreRun, config, srcID)
                    dst = db.lastInsertRowID
                    added += 1
                }
            } else {
                dst = try db.int("""
                    SELECT id FROM main.efficiency_runs WHERE run_id = ? AND score_run_id = ? AND created_at = ? AND parameters = ?
                    """, run, scoreRun, row[8].string!, parameters).map(Int64.init)
                if dst == nil {
                    try db.run("""
                        INSERT INTO main.efficiency_runs \(try insertColumns("efficiency_runs", from: "e", ["run_id": "?1", "score_run_id": "?2", "config_id": "?3"]))
                        FROM src.efficiency_runs e WHERE e.id = ?4
                        """, run, scoreRun, config, srcID)
                    dst = db.lastInsertRowID
                    added += 1
                }
            }
            try db.run("INSERT OR REPLACE INTO map_efficiency_runs VALUES (?, ?)", srcID, dst!)
        }
        report.added.append(("efficiency_runs", added))
        try add("trusted_tests", """
            INSERT OR IGNORE INTO main.trusted_tests \(try insertColumns("trusted_tests", from: "x", ["efficiency_run_id": "me.dst", "problem_id": "mp.dst", "test_id": "mt.dst"])) FROM src.trusted_tests x JOIN map_efficiency_runs me ON me.src = x.efficiency_run_id
            JOIN map_problems mp ON mp.src = x.problem_id JOIN map_tests mt ON mt.src = x.test_id
            """, &report)
        try add("timings", """
            INSERT OR IGNORE INTO main.timings \(try insertColumns("timings", from: "x", ["efficiency_run_id": "me.dst", "solution_id": "ms.dst", "test_id": "mt.dst"]))
            FROM src.timings x JOIN map_efficiency_runs me ON me.src = x.efficiency_run_id
            JOIN map_solutions ms ON ms.src = x.solution_id JOIN map_tests mt ON mt.src = x.test_id ORDER BY x.id
            """, &report)
        try add("efficiency_results", """
            INSERT OR IGNORE INTO main.efficiency_results \(try insertColumns("efficiency_results", from: "x", ["efficiency_run_id": "me.dst", "solution_id": "ms.dst", "problem_id": "mp.dst"]))
            FROM src.efficiency_results x JOIN map_efficiency_runs me ON me.src = x.efficiency_run_id
            JOIN map_solutions ms ON ms.src = x.solution_id JOIN map_problems mp ON mp.src = x.problem_id
            """, &report)
    }

    private func mergePairs(_ report: inout MergeReport) throws {
        try conflicts("pair_set", """
            SELECT 'pair set ' || s.name || ': the output has another pair set of that name (kept the output''s; rename one with codedpo query --write)'
            FROM src.pair_sets s JOIN map_runs mr ON mr.src = s.run_id JOIN main.pair_sets m ON m.name = s.name
            WHERE m.run_id <> mr.dst
            """, &report)
        try db.execute("""
            INSERT INTO map_pair_sets SELECT s.id, m.id FROM src.pair_sets s JOIN map_runs mr ON mr.src = s.run_id
            JOIN main.pair_sets m ON m.name = s.name AND m.run_id = mr.dst
            """)
        let new = try db.rows("""
            SELECT s.id FROM src.pair_sets s JOIN map_score_runs msr ON msr.src = s.score_run_id
            WHERE s.id NOT IN (SELECT src FROM map_pair_sets) AND s.name NOT IN (SELECT name FROM main.pair_sets) ORDER BY s.id
            """).map { $0[0].int64! }
        var added = 0, pairs = 0
        for id in new {
            try db.run("""
                INSERT INTO main.pair_sets \(try insertColumns("pair_sets", from: "s", ["run_id": "mr.dst", "score_run_id": "msr.dst", "efficiency_run_id": "me.dst"]))
                FROM src.pair_sets s
                JOIN map_runs mr ON mr.src = s.run_id JOIN map_score_runs msr ON msr.src = s.score_run_id
                LEFT JOIN map_efficiency_runs me ON me.src = s.efficiency_run_id WHERE s.id = ?
                """, id)
            let dst = db.lastInsertRowID
            try db.run("INSERT INTO map_pair_sets VALUES (?, ?)", id, dst)
            try db.run("""
                INSERT INTO main.pairs \(try insertColumns("pairs", from: "x", ["pair_set_id": "?1", "problem_id": "mp.dst", "chosen_solution_id": "mc.dst",
                                                                   "rejected_solution_id": "mrj.dst"])) FROM src.pairs x
                JOIN map_problems mp ON mp.src = x.problem_id JOIN map_solutions mc ON mc.src = x.chosen_solution_id
                JOIN map_solutions mrj ON mrj.src = x.rejected_solution_id WHERE x.pair_set_id = ?2 ORDER BY x.id
                """, dst, id)
            pairs += Int(db.changes)
            added += 1
        }
        report.added.append(("pair_sets", added))
        report.added.append(("pairs", pairs))
        try add("exports", """
            INSERT INTO main.exports \(try insertColumns("exports", from: "x", ["run_id": "mr.dst", "pair_set_id": "mps.dst", "score_run_id": "msr.dst"]))
            FROM src.exports x JOIN map_runs mr ON mr.src = x.run_id
            LEFT JOIN map_pair_sets mps ON mps.src = x.pair_set_id LEFT JOIN map_score_runs msr ON msr.src = x.score_run_id
            -- RL exports name a score run and no pair set (migration 0004).
            WHERE (x.pair_set_id IS NULL OR mps.dst IS NOT NULL) AND (x.score_run_id IS NULL OR msr.dst IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM main.exports m WHERE m.run_id = mr.dst AND m.path = x.path AND m.sha256 = x.sha256) ORDER BY x.id
            """, &report)
    }

    /// Benchmarks are matched by their file's SHA-256, their items by (benchmark, id in it), a
    /// decontamination run by its run and time (one command's output); a run's matches come
    /// with it, each pointing at the output's problem, solution, test or seed (a match whose
    /// item was not merged, its problem having conflicted, is left out). `contaminated_problems`
    /// reads the latest run: when the inputs were checked separately, run `codedpo
    /// decontaminate` on the merged database to check everything together.
    private func mergeDecontamination(_ report: inout MergeReport) throws {
        try add("benchmarks", """
            INSERT INTO main.benchmarks \(try insertColumns("benchmarks", from: "b", ["run_id": "mr.dst"]))
            FROM src.benchmarks b JOIN map_runs mr ON mr.src = b.run_id
            WHERE b.sha256 NOT IN (SELECT sha256 FROM main.benchmarks) ORDER BY b.id
            """, &report)
        try db.execute("INSERT INTO map_benchmarks SELECT b.id, m.id FROM src.benchmarks b JOIN main.benchmarks m ON m.sha256 = b.sha256")
        try add("benchmark_items", """
            INSERT OR IGNORE INTO main.benchmark_items \(try insertColumns("benchmark_items", from: "i", ["benchmark_id": "mb.dst"]))
            FROM src.benchmark_items i JOIN map_benchmarks mb ON mb.src = i.benchmark_id ORDER BY i.id
            """, &report)
        try db.execute("""
            INSERT INTO map_benchmark_items SELECT i.id, m.id FROM src.benchmark_items i JOIN map_benchmarks mb ON mb.src = i.benchmark_id
            JOIN main.benchmark_items m ON m.benchmark_id = mb.dst AND m.external_id = i.external_id
            """)
        let same = "m.run_id = mr.dst AND m.created_at = d.created_at AND m.parameters = d.parameters"
        try db.execute("""
            INSERT INTO map_decontamination_runs SELECT d.id, m.id FROM src.decontamination_runs d JOIN map_runs mr ON mr.src = d.run_id
            JOIN main.decontamination_runs m ON \(same)
            """)
        let new = try db.rows("""
            SELECT d.id AS id FROM src.decontamination_runs d JOIN map_runs mr ON mr.src = d.run_id
            WHERE d.id NOT IN (SELECT src FROM map_decontamination_runs) ORDER BY d.id
            """).compactMap { $0["id"].int64 }
        var matches = 0
        for id in new {
            try db.run("""
                INSERT INTO main.decontamination_runs \(try insertColumns("decontamination_runs", from: "d", ["run_id": "mr.dst"]))
                FROM src.decontamination_runs d JOIN map_runs mr ON mr.src = d.run_id WHERE d.id = ?
                """, id)
            let dst = db.lastInsertRowID
            try db.run("INSERT INTO map_decontamination_runs VALUES (?, ?)", id, dst)
            try db.run("""
                INSERT INTO main.contamination_matches \(try insertColumns("contamination_matches", from: "x", [
                    "decontamination_run_id": "?1", "problem_id": "mp.dst", "benchmark_item_id": "mi.dst",
                    "item_id": "CASE x.item_kind WHEN 'problem' THEN mip.dst WHEN 'solution' THEN mis.dst WHEN 'test' THEN mit.dst ELSE mse.dst END"]))
                FROM src.contamination_matches x JOIN map_benchmark_items mi ON mi.src = x.benchmark_item_id
                LEFT JOIN map_problems mp ON mp.src = x.problem_id
                LEFT JOIN map_problems mip ON x.item_kind = 'problem' AND mip.src = x.item_id
                LEFT JOIN map_solutions mis ON x.item_kind = 'solution' AND mis.src = x.item_id
                LEFT JOIN map_tests mit ON x.item_kind = 'test' AND mit.src = x.item_id
                LEFT JOIN map_seeds mse ON x.item_kind = 'seed' AND mse.src = x.item_id
                WHERE x.decontamination_run_id = ?2 AND (x.problem_id IS NULL OR mp.dst IS NOT NULL)
                  AND coalesce(mip.dst, mis.dst, mit.dst, mse.dst) IS NOT NULL
                ORDER BY x.id
                """, dst, id)
            matches += Int(db.changes)
        }
        report.added.append(("decontamination_runs", new.count))
        report.added.append(("contamination_matches", matches))
    }
}
