import Foundation

public enum EfficiencyMethod: String, CaseIterable, Sendable {
    /// Instructions when this machine can count them (hardware counters, else valgrind),
    /// otherwise CPU time; the run records which method ran.
    case auto
    /// Instructions of the test bodies: perf_event_open where allowed, else valgrind.
    case instructions
    case cpuTime = "cpu_time"
}

public struct EfficiencyOptions: Sendable {
    /// Repetitions per solution; nil: 5 for CPU time, 1 for instruction counts (they repeat
    /// exactly, so more runs add cost, not information).
    public var repeatCount: Int?
    /// Each measurement repeats the test body until it takes at least this long (--min-seconds).
    public var minSeconds = 0.02
    /// A solution whose spread is more than this share of its median is flagged noisy (it
    /// gets no rank, but still pairs with solutions its measurements can order it against).
    public var maxNoise = 0.1
    public var method: EfficiencyMethod = .auto
    public var seed: UInt64 = 0
    public var problems: [String] = []
    public var shard: Shard?

    public init() {}

    public func repetitions(instructions: Bool) -> Int { repeatCount ?? (instructions ? 1 : 5) }

    public var json: JSON {
        .object([("repeat", repeatCount.map { .int(Int64($0)) } ?? .null), ("min_seconds", .double(minSeconds)), ("max_noise", .double(maxNoise)),
                 ("method", .string(method.rawValue)), ("seed", .int(Int64(bitPattern: seed))), ("problems", JSON(problems)),
                 ("shard", JSON(shard?.description))])
    }
}

public struct EfficiencyReport: Sendable {
    public var efficiencyRunID: Int64 = 0
    public var method = "cpu_time"
    /// perf or valgrind when instructions were counted.
    public var counter: String?
    /// Solution runs (solution x repetition) found finished from an interrupted run and kept.
    public var resumedMeasurements = 0
    public var problems = 0
    public var trustedTests = 0
    public var timedSolutions = 0
    public var measurements = 0
    public var ranked = 0
    public var noisy = 0
    public var failed = 0
    public var seconds = 0.0
    /// Per repetition, how much slower (>1) or faster the machine ran than usual.
    public var drift: [Double] = []
    /// Per problem with two solutions its measurements can order, the largest such speedup
    /// (what the default efficiency pair would be): the paper's numbers.
    public var speedups = SpeedupDistribution([])

    public var json: JSON {
        .object([("efficiency_run", .int(efficiencyRunID)), ("method", .string(method)), ("counter", JSON(counter)),
                 ("resumed_measurements", .int(Int64(resumedMeasurements))), ("problems", .int(Int64(problems))),
                 ("trusted_tests", .int(Int64(trustedTests))), ("timed_solutions", .int(Int64(timedSolutions))),
                 ("measurements", .int(Int64(measurements))), ("ranked", .int(Int64(ranked))), ("noisy", .int(Int64(noisy))),
                 ("failed", .int(Int64(failed))), ("seconds", .double(seconds)),
                 ("drift", .array(drift.map { .double(($0 * 1000).rounded() / 1000) })), ("speedups", speedups.json)])
    }
}

/// The efficiency stage: per problem, the trusted tests are those the top-scored solution
/// passes; every solution that passes them all is timed on them, repeatedly, in an order
/// interleaved across solutions, and summarized (median, spread, noisy flag, rank).
public struct EfficiencyRunner {
    public let db: Database
    public let runID: Int64

    public init(db: Database, runID: Int64) {
        self.db = db
        self.runID = runID
    }

    struct Plan {
        var problem: Int64
        var tests: [(id: Int64, code: String)]
        var solutions: [(id: Int64, code: String)]
    }

    func plan(run: ScoreRunRecord, options: EfficiencyOptions) throws -> [Plan] {
        let configID = run.configID
        let wanted = Set(options.problems)
        var plans: [Plan] = []
        for problem in try db.rows("SELECT id, external_id FROM problems ORDER BY id") {
            let problemID = problem[0].int64!, externalID = problem[1].string!
            if !wanted.isEmpty && !wanted.contains(externalID) { continue }
            if let shard = options.shard, !shard.contains(externalID: externalID) { continue }
            // The top-scored solution's passed tests (ScoreRunRecord.trustedTests, shared with export).
            let tests = try run.trustedTests(db, problemID: problemID).map { (id: $0.id, code: $0.code) }
            guard !tests.isEmpty else { continue }
            let trusted = tests.map(\.id)
            var bindings: [SQLBindable] = [configID, problemID]
            bindings += trusted.map { $0 as SQLBindable }
            bindings.append(trusted.count)
            let statement = try db.prepare("""
                SELECT s.id, s.code FROM solutions s
                WHERE s.problem_id = ?2 AND (SELECT count(*) FROM executions e WHERE e.config_id = ?1 AND e.solution_id = s.id
                    AND e.status = 'pass' AND e.test_id IN (\((0..<trusted.count).map { "?\($0 + 3)" }.joined(separator: ", ")))) = ?\(trusted.count + 3)
                ORDER BY s.id
                """)
            try statement.bind(bindings)
            let solutions = try statement.rows().map { (id: $0[0].int64!, code: $0[1].string!) }
            plans.append(Plan(problem: problemID, tests: tests, solutions: solutions))
        }
        return plans
    }

    /// Which method runs, decided before anything is measured.
    static func resolve(_ method: EfficiencyMethod, interpreter: PythonInterpreter) throws -> InstructionCounter? {
        switch method {
        case .cpuTime: return nil
        case .auto: return InstructionCounter.available(for: interpreter)
        case .instructions:
            guard let counter = InstructionCounter.available(for: interpreter) else {
                throw StoreError("instruction counts are not available here: perf_event_open is refused and valgrind is missing "
                                 + "(apt-get install -y valgrind) or \(interpreter.path) is not an ELF binary; use --method cpu_time or auto")
            }
            return counter
        }
    }

    /// Times every solution of the plan. Resumable: an unfinished efficiency run of the same
    /// score run with the same parameters is continued, and its finished measurements (one
    /// solution's trusted tests in one repetition, committed together) are not repeated.
    /// session: a worker kept from an earlier run of this process (starting one under
    /// valgrind takes seconds); nil starts one for this run.
    public func run(scoreRun: Int64, options: EfficiencyOptions, session: TimingSession? = nil, progress: (Int, Int) -> Void = { _, _ in },
                    shouldStop: () -> Bool = { false }) throws -> EfficiencyReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try ScoreRunRecord.load(db, scoreRun)
        let settings = try ExecutionSettings.load(configID: run.configID, from: db)
        let counter = try Self.resolve(options.method, interpreter: settings.interpreter)
        let method = counter == nil ? "cpu_time" : "instructions"
        let repetitions = options.repetitions(instructions: counter != nil)
        let plans = try plan(run: run, options: options)
        var report = EfficiencyReport()
        report.method = method
        report.counter = counter?.name
        // The counter is part of the parameters: a run counted with perf is never continued
        // with valgrind (or the reverse), whose counts are not in the same unit.
        let parameters = Self.parameters(options, counter: counter?.name)
        var finished: Set<[Int64]> = []
        try db.transaction {
            if let existing = try db.int("""
                SELECT id FROM efficiency_runs WHERE score_run_id = ? AND parameters = ? AND summary IS NULL AND method = ? ORDER BY id DESC LIMIT 1
                """, scoreRun, parameters, method) {
                report.efficiencyRunID = Int64(existing)
                finished = try finishedMeasurements(plans: plans, efficiencyRun: report.efficiencyRunID)
                report.resumedMeasurements = finished.count
                return
            }
            try refuseOtherCounter(scoreRun: scoreRun, options: options, counter: counter?.name)
            try db.run("INSERT INTO efficiency_runs (run_id, score_run_id, config_id, method, repeat, parameters) VALUES (?, ?, ?, ?, ?, ?)",
                       runID, scoreRun, run.configID, method, repetitions, parameters)
            report.efficiencyRunID = db.lastInsertRowID
            for plan in plans {
                for test in plan.tests {
                    try db.run("INSERT INTO trusted_tests (efficiency_run_id, problem_id, test_id) VALUES (?, ?, ?)", report.efficiencyRunID, plan.problem, test.id)
                }
            }
        }
        report.problems = plans.count
        report.trustedTests = plans.reduce(0) { $0 + $1.tests.count }
        report.timedSolutions = plans.reduce(0) { $0 + $1.solutions.count }
        let session = try session ?? TimingSession(settings: settings, counter: counter)
        guard session.counter == counter else {
            throw StoreError("the timing session counts with \(session.counter?.name ?? "CPU time"), this run needs \(counter?.name ?? "CPU time")")
        }
        let worker = session.worker
        let timingJSON = session.timing(minSeconds: options.minSeconds)
        let insert = try db.prepare("""
            INSERT INTO timings (efficiency_run_id, solution_id, test_id, repetition, loops, status, cpu_s, wall_s, instructions)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // Interleaved: every repetition visits every solution (in a fresh shuffled order per
        // repetition) before the next repetition starts, so slow drifts of the machine hit all
        // solutions alike instead of whichever ran last.
        var everyInstructionCounted = true
        let total = repetitions * report.timedSolutions
        var done = finished.count
        for repetition in 0..<repetitions {
            var order: [(Plan, (id: Int64, code: String))] = plans.flatMap { plan in plan.solutions.map { (plan, $0) } }
            order = seededShuffle(order, seed: options.seed &+ UInt64(repetition))
            for (plan, solution) in order where !finished.contains([solution.id, Int64(repetition)]) {
                if shouldStop() {
                    throw StoreError("efficiency run \(report.efficiencyRunID) stopped after \(done) of \(total) solution runs; "
                                     + "the same command again finishes it without repeating them")
                }
                let verdicts = worker.run(solution: solution.code, tests: plan.tests, timing: timingJSON)
                // One solution's measurements are committed together: a run killed at any
                // point keeps every finished one and none half-written.
                try db.transaction {
                    for verdict in verdicts {
                        if verdict.status == "pass" && verdict.instructions == nil { everyInstructionCounted = false }
                        try insert.execute(report.efficiencyRunID, solution.id, verdict.testID, repetition, max(1, verdict.loops ?? 1), verdict.status,
                                           verdict.cpu, verdict.duration, verdict.instructions)
                    }
                }
                done += 1
                progress(done, total)
            }
        }
        if method == "instructions" && !everyInstructionCounted {
            throw StoreError("instruction counts did not come back from the \(counter?.name ?? "") counter "
                             + "(\(worker.stderrTail.suffix(300))); use --method cpu_time")
        }
        report.measurements = try db.int("SELECT count(*) FROM timings WHERE efficiency_run_id = ?", report.efficiencyRunID) ?? 0
        try summarize(efficiencyRun: report.efficiencyRunID, plans: plans, method: method, maxNoise: options.maxNoise, report: &report)
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try db.run("UPDATE efficiency_runs SET summary = ? WHERE id = ?", report.json.text, report.efficiencyRunID)
        return report
    }

    /// The stored parameters of a run: the options and the counter (perf, valgrind, or null
    /// for CPU time), so that a run is only ever continued with the counter it started with.
    static func parameters(_ options: EfficiencyOptions, counter: String?) -> String {
        var fields: [(String, JSON)] = []
        if case .object(let optionFields) = options.json { fields = optionFields }
        return JSON.object(fields + [("counter", JSON(counter))]).text
    }

    /// The same command resumed where another counter is available (started on a machine
    /// with hardware counters, continued where only valgrind or only CPU time is): its
    /// measurements are in other units and cannot be mixed, and starting a separate run
    /// without a word would leave the interrupted one behind unnoticed. Refused, with the way
    /// forward.
    func refuseOtherCounter(scoreRun: Int64, options: EfficiencyOptions, counter: String?) throws {
        for other in [nil, "perf", "valgrind"] as [String?] where other != counter {
            guard let existing = try db.int("""
                SELECT id FROM efficiency_runs WHERE score_run_id = ? AND parameters = ? AND summary IS NULL ORDER BY id DESC LIMIT 1
                """, scoreRun, Self.parameters(options, counter: other)) else { continue }
            func describe(_ name: String?) -> String { name.map { "instructions (\($0))" } ?? "CPU time" }
            throw StoreError("""
                efficiency run \(existing) of score run \(scoreRun) was interrupted while measuring with \(describe(other)), \
                but here the same command measures with \(describe(counter)): their measurements are in different units \
                and cannot be mixed in one run. Finish it where \(describe(other)) is available (the same command), or \
                start a separate run by changing a parameter (e.g. --seed \(options.seed &+ 1))
                """)
        }
    }

    /// (solution, repetition) pairs of an interrupted run with a timing of every trusted
    /// test; anything partial (there should be none: each is one transaction) is removed.
    func finishedMeasurements(plans: [Plan], efficiencyRun: Int64) throws -> Set<[Int64]> {
        var testsOf: [Int64: Int] = [:]
        for plan in plans { for solution in plan.solutions { testsOf[solution.id] = plan.tests.count } }
        var finished: Set<[Int64]> = []
        for row in try db.rows("SELECT solution_id, repetition, count(*) AS n FROM timings WHERE efficiency_run_id = ? GROUP BY solution_id, repetition", efficiencyRun) {
            let solution = row["solution_id"].int64!, repetition = row["repetition"].int64!
            if row["n"].int == testsOf[solution] {
                finished.insert([solution, repetition])
            } else {
                try db.run("DELETE FROM timings WHERE efficiency_run_id = ? AND solution_id = ? AND repetition = ?", efficiencyRun, solution, repetition)
            }
        }
        return finished
    }

    /// Per solution: the cost of one repetition is the sum over trusted tests of the cost of
    /// one loop of the test body, divided by the repetition's drift (how much the whole
    /// machine slowed down or sped up then); median and spread over repetitions; ranked by
    /// median.
    func summarize(efficiencyRun: Int64, plans: [Plan], method: String, maxNoise: Double, report: inout EfficiencyReport) throws {
        let column = method == "instructions" ? "CAST(instructions AS REAL)" : "cpu_s"
        var costs: [Int64: [Double?]] = [:], failed: Set<Int64> = []
        for plan in plans {
            for solution in plan.solutions {
                let rows = try db.rows("""
                    SELECT repetition, sum(\(column) / loops), sum(status != 'pass') FROM timings
                    WHERE efficiency_run_id = ? AND solution_id = ? GROUP BY repetition ORDER BY repetition
                    """, efficiencyRun, solution.id)
                if rows.isEmpty || rows.contains(where: { ($0[2].int ?? 1) > 0 || $0[1].isNull }) { failed.insert(solution.id); continue }
                var series = [Double?](repeating: nil, count: (rows.compactMap { $0[0].int }.max() ?? 0) + 1)
                for row in rows { series[row[0].int!] = row[1].double }
                costs[solution.id] = series
            }
        }
        // Instruction counts do not drift with the machine's load.
        let ids = costs.keys.sorted()
        let factors = method == "instructions" ? [] : EfficiencyMath.drift(ids.map { costs[$0]! })
        report.drift = factors
        var speedups: [Double] = []
        try db.transaction {
            for plan in plans {
                var summaries: [(Int64, EfficiencyMath.Summary?)] = []
                for solution in plan.solutions {
                    guard !failed.contains(solution.id), let series = costs[solution.id] else {
                        summaries.append((solution.id, nil))
                        continue
                    }
                    let corrected = series.enumerated().compactMap { r, cost in cost.map { $0 / (r < factors.count ? factors[r] : 1) } }
                    summaries.append((solution.id, EfficiencyMath.summarize(corrected, maxNoise: maxNoise)))
                }
                if let speedup = EfficiencyMath.largestOrderedSpeedup(summaries.compactMap { $0.1 }) { speedups.append(speedup) }
                let ranked = summaries.filter { $0.1.map { !$0.noisy } ?? false }.sorted { ($0.1!.median, $0.0) < ($1.1!.median, $1.0) }
                let rank = Dictionary(uniqueKeysWithValues: ranked.enumerated().map { ($1.0, $0 + 1) })
                for (solution, summary) in summaries {
                    let status = summary == nil ? "failed" : (summary!.noisy ? "noisy" : "ranked")
                    switch status {
                    case "ranked": report.ranked += 1
                    case "noisy": report.noisy += 1
                    default: report.failed += 1
                    }
                    try db.run("""
                        INSERT INTO efficiency_results (efficiency_run_id, solution_id, problem_id, status, median, spread, unit, rank)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, efficiencyRun, solution, plan.problem, status, summary?.median, summary?.spread,
                               method == "instructions" ? "instructions" : "seconds", rank[solution])
                }
            }
        }
        report.speedups = SpeedupDistribution(speedups)
    }

    /// Kendall's tau-b between two efficiency runs' medians, averaged over problems where
    /// both ranked at least two solutions.
    public static func agreement(_ db: Database, _ a: Int64, _ b: Int64) throws -> (problems: Int, kendall: Double?) {
        let rows = try db.rows("""
            SELECT x.problem_id, x.median, y.median FROM efficiency_results x
            JOIN efficiency_results y ON y.solution_id = x.solution_id AND y.efficiency_run_id = ?
            WHERE x.efficiency_run_id = ? AND x.status = 'ranked' AND y.status = 'ranked'
            ORDER BY x.problem_id
            """, b, a)
        var groups: [Int64: [(Double, Double)]] = [:]
        for row in rows { groups[row[0].int64!, default: []].append((row[1].double!, row[2].double!)) }
        let taus = groups.values.filter { $0.count >= 2 }.compactMap { Statistics.kendallTauB($0.map(\.0), $0.map(\.1)) }
        return (taus.count, taus.isEmpty ? nil : taus.reduce(0, +) / Double(taus.count))
    }
}
