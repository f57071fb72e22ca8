import Foundation

/// The solutions an execute run is working on (table `execution_claims`), so that two runs
/// on one database and config share the work: each claims a solution just before its workers
/// take it, and skips the ones another running run holds. A claim whose run is no longer
/// running (it finished, failed, or was killed: RunLog.markInterrupted) is taken over, so a
/// killed run's unfinished work is not lost.
struct ExecutionClaims {
    let db: Database
    let configID: Int64
    let runID: Int64

    /// Claims each solution that is free (unclaimed, or claimed by a run that is no longer
    /// running, or by this run); returns the ones claimed. One write transaction.
    func claim(_ solutionIDs: [Int64]) throws -> Set<Int64> {
        guard !solutionIDs.isEmpty else { return [] }
        try RunLog(db).markInterrupted()
        let insert = try db.prepare("""
            INSERT INTO execution_claims (config_id, solution_id, run_id) VALUES (?1, ?2, ?3)
            ON CONFLICT (config_id, solution_id) DO UPDATE SET run_id = excluded.run_id
            WHERE execution_claims.run_id = excluded.run_id
               OR (SELECT status FROM runs WHERE runs.id = execution_claims.run_id) IS NOT 'running'
            """)
        var claimed = Set<Int64>()
        try db.transaction {
            for solutionID in solutionIDs {
                try insert.bind(configID, at: 1)
                try insert.bind(solutionID, at: 2)
                try insert.bind(runID, at: 3)
                try insert.step()
                insert.reset()
                if db.changes > 0 { claimed.insert(solutionID) }
            }
        }
        return claimed
    }

    /// Does another running execute run of this host hold a claim under this config?
    func heldByRunningRunOfThisHost() throws -> Bool {
        try RunLog(db).markInterrupted()
        let count = try db.int("""
            SELECT count(*) FROM execution_claims c JOIN runs r ON r.id = c.run_id
            WHERE c.config_id = ? AND c.run_id != ? AND r.status = 'running' AND r.host = ?
            """, configID, runID, RunLog.hostName)
        return (count ?? 0) > 0
    }

    /// Drops this run's claims (its work is done, or it stops: what it did not finish is free),
    /// and those of runs that ended without dropping theirs (killed).
    func release() throws {
        try db.run("DELETE FROM execution_claims WHERE run_id = ? OR run_id IN (SELECT id FROM runs WHERE status != 'running')", runID)
    }
}
