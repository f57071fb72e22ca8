import Foundation

/// Per solution id, its problem and sample count, read in one pass over the solutions, so the
/// readers of many score runs (`codedpo eval`, the report's strategy section) take only the
/// scores of each run, from the score index alone, instead of visiting every solution's row
/// once per run. Memory: 8 bytes per solution id (12 MB at 1.5M solutions).
struct SolutionTable {
    /// Per solution id: its problem (0: no such solution).
    var problem: [Int32] = []
    var samples: [Int32] = []
    /// Whether each problem's solutions are contiguous in id order, problems ascending (what
    /// importing or generating problem by problem gives): then the scores of a run, read in
    /// solution id order, come problem by problem in problem order.
    var inProblemOrder = true

    init(db: Database) throws {
        problem = try GroundTruthTable.dense(db, "SELECT max(id) FROM solutions", 0)
        samples = problem
        var last: Int32 = 0
        try db.prepare("SELECT id, problem_id, sample_count FROM solutions ORDER BY id").rows(binding: []) { row in
            let id = Int(row.int64("id")), owner = Int32(row.int64("problem_id"))
            problem[id] = owner
            samples[id] = Int32(clamping: row.int64("sample_count"))
            if owner < last { inProblemOrder = false }
            last = owner
        }
    }

    /// The final scores of a run's solutions, problem by problem in problem order, from the
    /// score index alone (`inProblemOrder` must hold).
    func forEachScored(_ db: Database, run: ScoreRunRecord,
                       _ body: (_ problem: Int64, _ solution: Int64, _ samples: Int, _ score: Double) throws -> Void) throws {
        let statement = try db.prepare(Self.finalScoresSQL)
        let (solutionColumn, valueColumn) = (try statement.column("solution_id"), try statement.column("value"))
        try statement.rows(binding: [run.id, Int64(run.finalIteration)]) { row in
            let solution = Int(row.statement.int64(at: solutionColumn))
            guard solution < problem.count, problem[solution] != 0 else { return }
            try body(Int64(problem[solution]), Int64(solution), Int(samples[solution]), row.statement.double(at: valueColumn))
        }
    }

    /// Arguments: score run, iteration. Ordered by the index (no sort).
    static let finalScoresSQL = """
        SELECT solution_id, value FROM scores
        WHERE score_run_id = ? AND solution_id IS NOT NULL AND iteration = ?
        ORDER BY solution_id
        """
}
