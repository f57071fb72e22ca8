/// A test a score run trusts, with the score the run gave it (nil for strategies that score
/// solutions only).
public struct TrustedTest: Sendable, Equatable {
    public let id: Int64
    public let code: String
    public let trust: Double?
}

/// The trusted tests of a score run, one definition for every stage that needs them
/// (efficiency timing, RL exports): per problem, the generated tests its top-scored solution
/// passes under the run's execution config, as the CodeDPO paper defines them.
extension ScoreRunRecord {
    /// The top-scored solution of a problem at the final iteration (lowest id among ties).
    public func topSolution(_ db: Database, problemID: Int64) throws -> Int64? {
        try db.rows(Self.topSolutionSQL, id, finalIteration, problemID).first?["solution_id"].int64
    }

    /// Arguments: score run, iteration, problem. CROSS JOIN keeps the problem's solutions
    /// outermost: with `scores` outer (the planner's choice without statistics) every problem
    /// walked the whole run's scores, and an RL export or efficiency run went quadratic
    /// (`export --format grpo` did not finish in 97 minutes at 20,000 problems).
    static let topSolutionSQL = """
        SELECT sc.solution_id AS solution_id FROM solutions s
        CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
        WHERE s.problem_id = ?
        ORDER BY sc.value DESC, sc.solution_id LIMIT 1
        """

    /// The problem's trusted tests in test id order; empty when the problem was not scored
    /// or its top solution passes no generated test.
    public func trustedTests(_ db: Database, problemID: Int64) throws -> [TrustedTest] {
        guard let top = try topSolution(db, problemID: problemID) else { return [] }
        return try db.rows("""
            SELECT t.id AS id, t.code AS code, sc.value AS trust FROM executions e JOIN tests t ON t.id = e.test_id
            LEFT JOIN scores sc ON sc.score_run_id = ? AND sc.iteration = ? AND sc.test_id = t.id
            WHERE e.config_id = ? AND e.solution_id = ? AND e.status = 'pass' AND t.kind = 'generated' ORDER BY t.id
            """, id, finalIteration, configID, top).map { TrustedTest(id: $0["id"].int64!, code: $0["code"].string!, trust: $0["trust"].double) }
    }
}
