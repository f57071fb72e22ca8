import Foundation

/// Per execution config, the ground truth in flat arrays: tests per problem id, and per
/// solution id its verdicts on them and how many pass (one SQL aggregate for all solutions).
/// `codedpo eval` and the report's strategy section read it once per config instead of
/// counting each scored solution's ground-truth verdicts once per score run. Memory is a few
/// bytes per id (12 MB at 1.5M solutions), whatever the number of verdicts.
struct GroundTruthTable {
    var testsPerProblem: [Int32] = []
    var judged: [Int32] = []
    var passed: [Int32] = []

    static func dense<T>(_ db: Database, _ sql: String, _ value: T) throws -> [T] {
        Array(repeating: value, count: (try db.int(sql) ?? 0) + 1)
    }

    init(db: Database, configID: Int64) throws {
        testsPerProblem = try Self.dense(db, "SELECT max(id) FROM problems", 0)
        judged = try Self.dense(db, "SELECT max(id) FROM solutions", 0)
        passed = judged
        try db.prepare("SELECT problem_id, count(*) AS tests FROM tests WHERE kind = 'ground_truth' GROUP BY problem_id").rows(binding: []) { row in
            testsPerProblem[Int(row.int64("problem_id"))] = Int32(row.int64("tests"))
        }
        guard testsPerProblem.contains(where: { $0 > 0 }) else { return }
        // Verdicts are unique per (config, solution, test), so judged counts the tests with one.
        try db.prepare("""
            SELECT s.id AS solution_id, count(e.id) AS judged, coalesce(sum(e.status = 'pass'), 0) AS passed
            FROM solutions s JOIN tests t ON t.problem_id = s.problem_id AND t.kind = 'ground_truth'
            LEFT JOIN executions e ON e.config_id = ? AND e.solution_id = s.id AND e.test_id = t.id
            GROUP BY s.id
            """).rows(binding: [configID]) { row in
            let solution = Int(row.int64("solution_id"))
            judged[solution] = Int32(row.int64("judged"))
            passed[solution] = Int32(row.int64("passed"))
        }
    }

    func tests(ofProblem problem: Int64) -> Int { problem < testsPerProblem.count ? Int(testsPerProblem[Int(problem)]) : 0 }

    /// Ground-truth tests of the solution's problem it has no verdict on.
    func missing(solution: Int64, problem: Int64) -> Int {
        let total = tests(ofProblem: problem)
        return solution < judged.count ? total - Int(judged[Int(solution)]) : total
    }

    /// Whether the solution passes every ground-truth test of its problem (which has some).
    func correct(solution: Int64, problem: Int64) -> Bool {
        let total = tests(ofProblem: problem)
        return total > 0 && solution < passed.count && Int(passed[Int(solution)]) == total
    }
}
