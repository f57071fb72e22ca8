import Foundation

/// What the report needs from one score run, loaded in bounded memory: verdict totals in
/// flat arrays indexed by id (one scan of the verdicts, aggregates in SQL), then the scores
/// one problem at a time, handed to the pure computations in `ReportMath`.
struct ReportFocus {
    let db: Database
    let run: ReportData.ScoreRunInfo

    /// Per solution id: its problem when the run scored it (0: not scored).
    var problemOfSolution: [Int64] = []
    /// Per solution id: 1 correct, 0 wrong by the ground truth, -1 unknown.
    var correct: [Int8] = []
    /// Per test id: scored solutions passing it, and correct ones among them.
    var passedBy: [Int32] = []
    var correctPassing: [Int32] = []
    /// Per problem id: its correct solutions (known only for complete ground truth).
    var correctCount: [Int32] = []
    /// Verdicts per status under every config, most first (the report's counts), from the
    /// same pass over the verdicts.
    var statusCounts: [(status: String, count: Int)] = []

    /// Status positions in `VerdictStatus.names` by the status's first letter (the statuses'
    /// first letters all differ), so the pass over every verdict reads one integer per row.
    static let statusByInitial: [Int] = {
        var table = Array(repeating: -1, count: 128)
        for (index, name) in VerdictStatus.names.enumerated() {
            let initial = Int(name.utf8.first!)
            precondition(table[initial] == -1, "two verdict statuses start with \(name.first!): count them by name")
            table[initial] = index
        }
        return table
    }()

    /// `groundTruth` is the run's config's table (shared with the strategy section).
    init(db: Database, run: ReportData.ScoreRunInfo, groundTruth: GroundTruthTable) throws {
        self.db = db
        self.run = run
        try loadVerdictTotals(groundTruth)
    }

    mutating func loadVerdictTotals(_ groundTruth: GroundTruthTable) throws {
        problemOfSolution = try GroundTruthTable.dense(db, "SELECT max(id) FROM solutions", 0)
        correct = try GroundTruthTable.dense(db, "SELECT max(id) FROM solutions", -1)
        passedBy = try GroundTruthTable.dense(db, "SELECT max(id) FROM tests", 0)
        correctPassing = passedBy
        correctCount = try GroundTruthTable.dense(db, "SELECT max(id) FROM problems", 0)
        try db.prepare("""
            SELECT s.id AS solution_id, s.problem_id AS problem_id FROM solutions s
            CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
            """).rows(binding: [run.id, Int64(run.finalIteration)]) { row in
            problemOfSolution[Int(row.int64("solution_id"))] = row.int64("problem_id")
        }
        // Ground truth, per problem: correct solutions when every scored one has every verdict.
        var byProblem: [Int64: [Int64]] = [:]
        for solution in problemOfSolution.indices where problemOfSolution[solution] != 0
            && groundTruth.tests(ofProblem: problemOfSolution[solution]) > 0 {
            byProblem[problemOfSolution[solution], default: []].append(Int64(solution))
        }
        for (problem, solutions) in byProblem {
            guard let verdicts = ReportMath.correctness(groundTruthTests: groundTruth.tests(ofProblem: problem),
                                                        judged: solutions.map { groundTruth.judged[Int($0)] }.map(Int.init),
                                                        passed: solutions.map { groundTruth.passed[Int($0)] }.map(Int.init)) else { continue }
            for (solution, ok) in zip(solutions, verdicts) {
                correct[Int(solution)] = ok ? 1 : 0
                if ok { correctCount[Int(problem)] += 1 }
            }
        }
        // One pass over every verdict, from the verdict index alone: counts per status, and
        // the run's config's passes (tests without a score are never looked up). Counting in
        // SQL cost a second pass as long as this one.
        let verdicts = try db.prepare("SELECT config_id, solution_id, test_id, unicode(status) AS initial FROM executions")
        let columns = (config: try verdicts.column("config_id"), solution: try verdicts.column("solution_id"),
                       test: try verdicts.column("test_id"), initial: try verdicts.column("initial"))
        let pass = Self.statusByInitial[Int(VerdictStatus.pass.rawValue.utf8.first!)]
        var counts = Array(repeating: 0, count: VerdictStatus.names.count)
        try verdicts.rows(binding: []) { row in
            let initial = row.statement.int(at: columns.initial)
            let status = (0..<128).contains(initial) ? Self.statusByInitial[initial] : -1
            guard status >= 0 else { return }
            counts[status] += 1
            guard status == pass, row.statement.int64(at: columns.config) == run.configID else { return }
            let solution = Int(row.statement.int64(at: columns.solution)), test = Int(row.statement.int64(at: columns.test))
            guard solution < problemOfSolution.count, problemOfSolution[solution] != 0, test < passedBy.count else { return }
            passedBy[test] += 1
            if correct[solution] == 1 { correctPassing[test] += 1 }
        }
        statusCounts = ReportData.ordered(zip(VerdictStatus.names, counts).map { (status: $0, count: $1) })
    }

    /// One problem's scored solutions and tests, with their scores at every iteration up to
    /// the final one (only the final one when `history` is false).
    struct Slice {
        var problem: Int64
        var solutionIDs: [Int64] = []
        var solutionValues: [[Double]] = []
        var testIDs: [Int64] = []
        var testValues: [[Double]] = []

        var finalSolutions: [Double] { solutionValues.map { $0.last ?? 0 } }
        var finalTests: [Double] { testValues.map { $0.last ?? 0 } }
    }

    /// Calls `body` with each problem the run scored, in id order.
    func forEachProblem(history: Bool, _ body: (Slice) throws -> Void) throws {
        let first = history ? 0 : run.finalIteration
        if let problemOfTest = try testsInProblemOrder(), Self.followsProblems(problemOfSolution) {
            return try streamProblems(first: first, problemOfTest: problemOfTest, body)
        }
        try problemByProblem(first: first, body)
    }

    /// Whether the nonzero entries (problem ids, indexed by row id) never go down: each
    /// problem's rows are contiguous in id order, problems ascending (what importing or
    /// generating problem by problem gives).
    static func followsProblems<T: BinaryInteger>(_ problemOf: [T]) -> Bool {
        var last: T = 0
        for problem in problemOf where problem != 0 {
            if problem < last { return false }
            last = problem
        }
        return true
    }

    /// Per test id its problem, when tests follow problems (else nil).
    func testsInProblemOrder() throws -> [Int32]? {
        var problemOfTest: [Int32] = try GroundTruthTable.dense(db, "SELECT max(id) FROM tests", 0)
        try db.prepare("SELECT id, problem_id FROM tests").rows(binding: []) { row in
            problemOfTest[Int(row.int64("id"))] = Int32(row.int64("problem_id"))
        }
        return Self.followsProblems(problemOfTest) ? problemOfTest : nil
    }

    /// The run's scores read in one pass over each score index (solutions, tests), cut into
    /// problems by the id-to-problem arrays: no statement per problem and no join.
    func streamProblems(first: Int, problemOfTest: [Int32], _ body: (Slice) throws -> Void) throws {
        let iterations = run.finalIteration - first + 1
        func cursor(_ column: String) throws -> Statement {
            let statement = try db.prepare("""
                SELECT \(column) AS id, iteration, value FROM scores
                WHERE score_run_id = ?1 AND \(column) IS NOT NULL AND iteration BETWEEN ?2 AND ?3 ORDER BY \(column), iteration
                """)
            try statement.bind([run.id, Int64(first), Int64(run.finalIteration)])
            return statement
        }
        let solutions = try cursor("solution_id"), tests = try cursor("test_id")
        defer { solutions.reset(); tests.reset() }
        // Both cursors have the same columns.
        let columns = (id: try solutions.column("id"), iteration: try solutions.column("iteration"), value: try solutions.column("value"))
        func add(_ statement: Statement, to ids: inout [Int64], _ values: inout [[Double]]) {
            let id = statement.int64(at: columns.id)
            if ids.last != id {
                ids.append(id)
                values.append(Array(repeating: .nan, count: iterations))
            }
            values[values.count - 1][statement.int(at: columns.iteration) - first] = statement.double(at: columns.value)
        }
        func testProblem() -> Int64 {
            let id = Int(tests.int64(at: columns.id))
            return id < problemOfTest.count ? Int64(problemOfTest[id]) : 0
        }
        // 0 for a solution not scored at the final iteration (not part of the run's result).
        func solutionProblem() -> Int64 {
            let id = Int(solutions.int64(at: columns.id))
            return id < problemOfSolution.count ? problemOfSolution[id] : 0
        }
        var hasSolution = try solutions.step(), hasTest = try tests.step()
        while hasSolution {
            let problem = solutionProblem()
            guard problem != 0 else {
                hasSolution = try solutions.step()
                continue
            }
            var slice = Slice(problem: problem)
            while hasSolution, solutionProblem() == problem {
                add(solutions, to: &slice.solutionIDs, &slice.solutionValues)
                hasSolution = try solutions.step()
            }
            while hasTest, testProblem() < problem { hasTest = try tests.step() }
            while hasTest, testProblem() == problem {
                add(tests, to: &slice.testIDs, &slice.testValues)
                hasTest = try tests.step()
            }
            slice.solutionValues = slice.solutionValues.map(ReportMath.fillHoles)
            slice.testValues = slice.testValues.map(ReportMath.fillHoles)
            try body(slice)
        }
    }

    /// One problem at a time, through the solutions' and tests' problem indexes.
    func problemByProblem(first: Int, _ body: (Slice) throws -> Void) throws {
        let iterations = run.finalIteration - first + 1
        let solutions = try db.prepare("""
            SELECT s.id AS id, sc.iteration AS iteration, sc.value AS value FROM solutions s
            CROSS JOIN scores sc ON sc.score_run_id = ?1 AND sc.solution_id = s.id AND sc.iteration BETWEEN ?2 AND ?3
            WHERE s.problem_id = ?4
            """)
        let tests = try db.prepare("""
            SELECT t.id AS id, sc.iteration AS iteration, sc.value AS value FROM tests t
            CROSS JOIN scores sc ON sc.score_run_id = ?1 AND sc.test_id = t.id AND sc.iteration BETWEEN ?2 AND ?3
            WHERE t.problem_id = ?4
            """)
        // Column positions once: these loops read every score of the run.
        let columns = (id: try solutions.column("id"), iteration: try solutions.column("iteration"), value: try solutions.column("value"))
        func histories(_ statement: Statement, _ problem: Int64) throws -> (ids: [Int64], values: [[Double]]) {
            var ids: [Int64] = [], values: [[Double]] = []
            try statement.rows(binding: [run.id, Int64(first), Int64(run.finalIteration), problem]) { row in
                let id = row.statement.int64(at: columns.id)
                if ids.last != id {
                    ids.append(id)
                    values.append(Array(repeating: .nan, count: iterations))
                }
                values[values.count - 1][Int(row.statement.int64(at: columns.iteration)) - first] = row.statement.double(at: columns.value)
            }
            // Rows come solution by solution (the join walks the problem's solutions, then each
            // one's scores); put them in id order without asking SQL for a sort.
            let order = ids.indices.sorted { ids[$0] < ids[$1] }
            return (order.map { ids[$0] }, order.map { ReportMath.fillHoles(values[$0]) })
        }
        let problems = try db.prepare("SELECT id FROM problems ORDER BY id")
        var ids: [Int64] = []
        try problems.rows(binding: []) { ids.append($0.int64("id")) }
        for problem in ids {
            let (solutionIDs, solutionValues) = try histories(solutions, problem)
            guard !solutionIDs.isEmpty else { continue }
            let (testIDs, testValues) = try histories(tests, problem)
            try body(Slice(problem: problem, solutionIDs: solutionIDs, solutionValues: solutionValues, testIDs: testIDs, testValues: testValues))
        }
    }

    /// The slice's tests: solutions passing each, and rightness by the ground truth.
    func testVerdicts(_ slice: Slice) -> (passedBy: [Int], right: [Bool?]) {
        let correctHere = Int(correctCount[Int(slice.problem)])
        return (slice.testIDs.map { Int(passedBy[Int($0)]) },
                slice.testIDs.map { ReportMath.rightness(correctPassing: Int(correctPassing[Int($0)]), correctSolutions: correctHere) })
    }

    func correctness(of solution: Int64) -> Bool? {
        switch correct[Int(solution)] {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }
}

/// Reading columns by name from the current row of a statement.
struct NamedRow {
    let statement: Statement
    let index: [String: Int]

    func int64(_ name: String) -> Int64 { statement.int64(at: index[name]!) }
    func double(_ name: String) -> Double { statement.double(at: index[name]!) }
    func string(_ name: String) -> String? { statement.optionalString(at: index[name]!) }
    func optionalInt64(_ name: String) -> Int64? { statement.optionalInt64(at: index[name]!) }
}

extension Statement {
    /// The position of a result column, for loops that read many rows.
    func column(_ name: String) throws -> Int {
        guard let index = columnNames.firstIndex(of: name) else { throw StoreError("no column \(name) in: \(sql)") }
        return index
    }

    /// Binds `values` (from the start), then calls `body` with each row, readable by column name.
    func rows(binding values: [SQLBindable], _ body: (NamedRow) throws -> Void) throws {
        reset()
        try bind(values)
        let index = Dictionary(columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        try forEachRow { try body(NamedRow(statement: $0, index: index)) }
    }
}
