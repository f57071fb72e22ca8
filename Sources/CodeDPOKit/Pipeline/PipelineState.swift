import Foundation

/// What a pipeline already did, read from the database, so re-running a config does only what
/// is missing: a score run is reused when the same strategy and parameters scored the same
/// config after its last verdict arrived; an efficiency run, pair set or export when one with
/// the same inputs and parameters finished.
public struct PipelineState {
    public let db: Database

    public init(db: Database) { self.db = db }

    /// The config a score step reads: its own `--config`, else the latest with verdicts.
    public func scoringConfig(explicit: Int64?) throws -> Int64? {
        if let explicit { return explicit }
        return try MatrixLoader.latestConfig(db)
    }

    public func scoreRun(strategy: String, parameters: JSON, config: Int64) throws -> Int64? {
        try db.int("""
            SELECT sr.id FROM score_runs sr JOIN runs r ON r.id = sr.run_id
            WHERE sr.strategy = ? AND sr.parameters = ? AND sr.config_id = ? AND sr.test_kind = 'generated' AND r.status = 'ok'
              AND sr.run_id > (SELECT coalesce(max(run_id), 0) FROM executions WHERE config_id = ?)
            ORDER BY sr.id DESC LIMIT 1
            """, strategy, parameters.text, config, config).map(Int64.init)
    }

    public func efficiencyRun(scoreRun: Int64, parameters: JSON) throws -> Int64? {
        try db.int("""
            SELECT e.id FROM efficiency_runs e
            WHERE e.score_run_id = ? AND e.parameters = ? AND e.summary IS NOT NULL ORDER BY e.id DESC LIMIT 1
            """, scoreRun, parameters.text).map(Int64.init)
    }

    public enum PairSetMatch: Equatable {
        /// No set has this name.
        case free
        /// A set of this name was built from the same inputs and policy.
        case same
        /// The name is taken by a set built from something else.
        case taken
    }

    public func pairSet(name: String, scoreRun: Int64, efficiencyRun: Int64?, policy: JSON) throws -> PairSetMatch {
        // The stored policy also names its runs; those are compared as columns.
        guard let row = try db.rows("""
            SELECT score_run_id, efficiency_run_id, json_remove(policy, '$.score_run', '$.efficiency_run') = json(?)
            FROM pair_sets WHERE name = ?
            """, policy.text, name).first else { return .free }
        return row[0].int64 == scoreRun && row[1].int64 == efficiencyRun && row[2].int64 == 1 ? .same : .taken
    }

    /// The first of NAME, NAME-2, NAME-3, ... that is free or already this very set.
    public func pairSetName(_ name: String, scoreRun: Int64, efficiencyRun: Int64?, policy: JSON) throws -> (name: String, exists: Bool) {
        var candidate = name, suffix = 1
        while true {
            switch try pairSet(name: candidate, scoreRun: scoreRun, efficiencyRun: efficiencyRun, policy: policy) {
            case .free: return (candidate, false)
            case .same: return (candidate, true)
            case .taken:
                suffix += 1
                candidate = "\(name)-\(suffix)"
            }
        }
    }

    /// An export is done when the file recorded for this pair set and format is still there,
    /// byte for byte.
    public func exportIsCurrent(pairSet: String, format: String, path: String) throws -> Bool {
        let rows = try db.rows("""
            SELECT x.sha256 FROM exports x JOIN pair_sets ps ON ps.id = x.pair_set_id
            WHERE ps.name = ? AND x.format = ? AND x.path = ? ORDER BY x.id DESC LIMIT 1
            """, pairSet, format, path)
        guard let recorded = rows.first?[0].string, FileManager.default.fileExists(atPath: path) else { return false }
        return (try? LineReader.digest(path: path).sha256) == recorded
    }
}
