import Foundation

public struct ExecuteOptions: Sendable {
    public var settings: ExecutionSettings
    public var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Only these problems (external ids); empty: all.
    public var problems: [String] = []
    /// An SQL condition over p (problems), s (solutions) and t (tests).
    public var whereSQL: String?
    public var shard: Shard?
    /// Test kinds to run; empty: all.
    public var testKinds: [TestKind] = []
    /// Re-run verdicts with these statuses from `baseConfig` under the new settings; the
    /// other verdicts of the base config are copied, so the new config is complete.
    public var retry: [String] = []
    public var baseConfig: Int64?
    /// Verdicts per write transaction (or what a second brought, whichever comes first: a
    /// killed run loses at most that). Each commit rewrites the B-tree pages it touched into
    /// the WAL: 10,000 rather than 2,000 took the Swift side 1.3 µs a verdict less on CodeT data.
    public var batchSize = 10000
    /// Tests per job: one job loads its solution once (one loader: a fork, its setup and
    /// copy-on-write faults, most of the cost of a verdict) and runs up to this many tests.
    /// 256 covers every CodeT HumanEval problem in one job per solution (64 made 2.2x the
    /// loaders on its first 10 problems).
    public var testsPerJob = 256

    public init(settings: ExecutionSettings) { self.settings = settings }
}

public struct ExecuteProgress: Sendable {
    public var planned: Int
    public var done: Int
    public var counts: [String: Int]
    public var elapsed: Double
}

public struct ExecuteReport: Sendable {
    public var configID: Int64
    public var newConfig: Bool
    public var interpreter: PythonInterpreter
    public var planned = 0
    public var done = 0
    public var copied = 0
    public var counts: [String: Int] = [:]
    public var seconds = 0.0
    public var interrupted = false
    public var problems = 0
    public var solutions = 0
    /// Pairs in scope left to another execute run that holds them (on another host; one of
    /// this host is waited for). 0 when this run did everything that was missing.
    public var leftToOtherRuns = 0

    public var verdictsPerSecond: Double { seconds > 0 ? Double(done) / seconds : 0 }

    public var json: JSON {
        .object([
            ("config_id", .int(configID)), ("new_config", .bool(newConfig)),
            ("interpreter", .string(interpreter.path)), ("python_version", .string(interpreter.version)),
            ("problems", .int(Int64(problems))), ("solutions", .int(Int64(solutions))),
            ("planned", .int(Int64(planned))), ("done", .int(Int64(done))), ("copied", .int(Int64(copied))),
            ("seconds", .double(seconds)), ("verdicts_per_second", .double(verdictsPerSecond.rounded())),
            ("interrupted", .bool(interrupted)), ("left_to_other_runs", .int(Int64(leftToOtherRuns))),
            ("statuses", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ])
    }
}

/// Runs every solution against every test of its problem that has no verdict yet under the
/// config, on `jobs` worker processes, committing verdicts in batches: killed at any point
/// and started again, it runs exactly what is missing.
public final class Executor {
    struct Job {
        let problemID: Int64
        let solutionID: Int64
        let code: String
        let tests: [(id: Int64, code: String)]
        /// The worker lane this job belongs to (see `lanes`).
        var lane = 0
        /// Any worker takes it as one of its own lane's (tests handed back after a timeout:
        /// spread over every worker, see `run`).
        var anyWorker = false

        /// This job's tests in at most `parts` jobs of consecutive tests, sizes within one.
        func split(into parts: Int) -> [Job] {
            let count = min(max(1, parts), tests.count)
            guard count > 1 else { return [self] }
            return (0..<count).map { part in
                let range = (tests.count * part / count)..<(tests.count * (part + 1) / count)
                return Job(problemID: problemID, solutionID: solutionID, code: code, tests: Array(tests[range]),
                           lane: lane, anyWorker: anyWorker)
            }
        }
    }

    /// The jobs (in plan order: by problem, then solution) cut into `count` lanes, one per
    /// worker: runs of consecutive problems with about the same number of tests each, a
    /// problem in one lane only, plan order within a lane. Each worker takes the jobs of its
    /// own lane first (`BoundedQueue.pop(preferring:orAnyWhen:)`) and the lanes are kept supplied
    /// separately (`run`), so a worker meets the tests of its own problems only: it compiles,
    /// gate-checks and keeps every distinct test it meets (~0.1 ms each), and from one shared
    /// queue every worker met every test. Once its lane is done, a worker helps the others.
    static func lanes(_ jobs: [Job], count: Int) -> [[Job]] {
        let count = max(1, count)
        var lanes = [[Job]](repeating: [], count: count)
        let total = jobs.reduce(0) { $0 + $1.tests.count }
        var before = 0          // tests of the problems before the current one
        var problemTests = 0
        var lane = 0
        for (index, job) in jobs.enumerated() {
            if index == 0 || job.problemID != jobs[index - 1].problemID {
                before += problemTests
                problemTests = 0
                // The lane whose share of all the tests this problem starts in.
                lane = min(count - 1, Int(Double(before) * Double(count) / Double(max(total, 1))))
            }
            problemTests += job.tests.count
            var placed = job
            placed.lane = lane
            lanes[lane].append(placed)
        }
        return lanes
    }

    struct JobResult {
        let solutionID: Int64
        let lane: Int
        /// The job's tests (answered or handed back).
        let tests: Int
        let verdicts: [Verdict]
        /// The job's tests a worker handed back (a loader ended early), queued again.
        let requeued: Job?
    }

    let db: Database
    let runID: Int64
    let options: ExecuteOptions

    public init(db: Database, runID: Int64, options: ExecuteOptions) {
        self.db = db
        self.runID = runID
        self.options = options
    }

    /// Problems in scope, into a temporary table the planning query joins.
    func scopeProblems() throws -> Int {
        try db.execute("DROP TABLE IF EXISTS temp.scope; CREATE TEMP TABLE scope (problem_id INTEGER PRIMARY KEY)")
        let wanted = Set(options.problems)
        var count = 0
        let insert = try db.prepare("INSERT INTO temp.scope VALUES (?)")
        var found = Set<String>()
        for row in try db.rows("SELECT id, external_id FROM problems ORDER BY id") {
            let externalID = row[1].string!
            if !wanted.isEmpty && !wanted.contains(externalID) { continue }
            found.insert(externalID)
            if let shard = options.shard, !shard.contains(externalID: externalID) { continue }
            try insert.execute(row[0].int64!)
            count += 1
        }
        if let missing = wanted.subtracting(found).sorted().first {
            throw StoreError("no problem \"\(missing)\" in the database (see: codedpo query \"SELECT external_id FROM problems\")")
        }
        return count
    }

    /// Copies the base config's verdicts that are not retried into the new config.
    func copyForRetry(configID: Int64) throws -> Int {
        guard !options.retry.isEmpty else { return 0 }
        guard let base = options.baseConfig else { throw StoreError("--retry needs the config to retry from (--from-config N)") }
        guard base != configID else {
            throw StoreError("--retry runs under new settings, but these are config \(base)'s own: change a limit (e.g. a larger --timeout)")
        }
        let statuses = options.retry.map { "'\($0)'" }.joined(separator: ", ")
        try db.run("""
            INSERT INTO executions (config_id, solution_id, test_id, status, duration_s, cpu_s, max_rss_kb, output, error, run_id)
            SELECT ?, e.solution_id, e.test_id, e.status, e.duration_s, e.cpu_s, e.max_rss_kb, e.output, e.error, ?
            FROM executions e JOIN solutions s ON s.id = e.solution_id JOIN temp.scope sc ON sc.problem_id = s.problem_id
            WHERE e.config_id = ? AND e.status NOT IN (\(statuses))
            ON CONFLICT DO NOTHING
            """, configID, runID, base)
        return db.changes
    }

    /// The jobs: one per solution, holding the tests it has not met under this config.
    func plan(configID: Int64) throws -> [Job] {
        var kinds = ""
        if !options.testKinds.isEmpty {
            kinds = "AND t.kind IN (" + options.testKinds.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
        }
        let condition = options.whereSQL.map { "AND (\($0))" } ?? ""
        let statement = try db.prepare("""
            SELECT p.id, s.id, t.id FROM temp.scope sc
            JOIN problems p ON p.id = sc.problem_id
            JOIN solutions s ON s.problem_id = p.id
            JOIN tests t ON t.problem_id = p.id
            WHERE NOT EXISTS (SELECT 1 FROM executions e WHERE e.config_id = ?1 AND e.solution_id = s.id AND e.test_id = t.id)
              \(kinds) \(condition)
            ORDER BY p.id, s.id, t.id
            """)
        try statement.bind(configID, at: 1)
        var pairs: [(problem: Int64, solution: Int64, test: Int64)] = []
        try statement.forEachRow { pairs.append(($0.int64(at: 0), $0.int64(at: 1), $0.int64(at: 2))) }
        guard !pairs.isEmpty else { return [] }

        var testCode: [Int64: String] = [:]
        let testQuery = try db.prepare("SELECT t.id, t.code FROM tests t JOIN temp.scope sc ON sc.problem_id = t.problem_id")
        try testQuery.forEachRow { testCode[$0.int64(at: 0)] = $0.string(at: 1) }
        let solutionQuery = try db.prepare("SELECT code FROM solutions WHERE id = ?")
        var jobs: [Job] = []
        var index = 0
        while index < pairs.count {
            let (problem, solution, _) = pairs[index]
            var tests: [(Int64, String)] = []
            while index < pairs.count && pairs[index].solution == solution {
                tests.append((pairs[index].test, testCode[pairs[index].test] ?? ""))
                index += 1
            }
            try solutionQuery.bind(solution, at: 1)
            _ = try solutionQuery.step()
            let code = solutionQuery.string(at: 0)
            solutionQuery.reset()
            // Jobs of at most `testsPerJob` tests: a solution that loops on every one of a
            // thousand tests is then several jobs the workers share, not one long tail.
            for start in stride(from: 0, to: tests.count, by: options.testsPerJob) {
                jobs.append(Job(problemID: problem, solutionID: solution, code: code,
                                tests: Array(tests[start..<min(start + options.testsPerJob, tests.count)])))
            }
        }
        return jobs
    }

    /// Runs the plan. `progress` is called on this thread several times a second;
    /// `shouldStop` is polled: when it turns true, finished work is kept and the rest dropped.
    public func run(progress: (ExecuteProgress) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false }) throws -> ExecuteReport {
        let (configID, isNew) = try options.settings.configID(in: db, runID: runID)
        var report = ExecuteReport(configID: configID, newConfig: isNew, interpreter: options.settings.interpreter)
        report.problems = try scopeProblems()
        report.copied = try db.transaction { try copyForRetry(configID: configID) }
        var jobs = try plan(configID: configID)
        report.solutions = Set(jobs.map(\.solutionID)).count
        report.planned = jobs.reduce(0) { $0 + $1.tests.count }
        guard !jobs.isEmpty else { return report }

        let claims = ExecutionClaims(db: db, configID: configID, runID: runID)
        defer { try? claims.release() }
        let scratch = try WorkerProcess.makeScratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let workerCount = max(1, min(options.jobs, jobs.count))
        let workers = (0..<workerCount).map { _ in WorkerProcess(settings: options.settings, scratch: scratch) }
        // Every worker starts now, side by side (a start is ~80 ms, mostly Python compiling the
        // harness); the first one's failure, a broken interpreter, is reported with its own
        // message. A worker that failed to start is started again by its first job.
        try WorkerProcess.startAll(workers)
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

        // Jobs reach the workers only once their solution is claimed (see ExecutionClaims):
        // a few ahead of the workers, so a second run on this database finds the rest free.
        let ready = BoundedQueue<Job>(capacity: Int.max)
        // Unbounded: the workers go on while this thread writes a batch (the claimed jobs bound it).
        let results = BoundedQueue<JobResult>(capacity: Int.max)
        let stopFlag = StopFlag()
        let group = DispatchGroup()
        var lanes = Self.lanes(jobs, count: workerCount)
        var laneNext = [Int](repeating: 0, count: workerCount)         // first job of each lane not yet claimed or skipped
        var laneOutstanding = [Int](repeating: 0, count: workerCount)  // each lane's jobs handed out, not yet back
        var laneOutstandingTests = [Int](repeating: 0, count: workerCount)  // and their tests
        // Seconds of this thread's write per verdict (measured at each write; a guess before the first).
        var writeSeconds = 10e-6
        var pending: [JobResult] = []   // results not yet written
        var pendingCount = 0
        var outstanding = 0      // jobs handed to the workers whose results have not come back
        var skipped = Set<Int64>()   // solutions another running run holds
        // Lanes with nothing more to claim: their workers take any job (read by the worker threads).
        let lanesDone = LockedFlags(count: workerCount)
        func claimedAll(of lane: Int) -> Bool { laneNext[lane] >= lanes[lane].count }
        func allClaimed() -> Bool { lanes.indices.allSatisfy(claimedAll) }
        /// Claims each lane's next solutions (`ahead` jobs at a time, in one transaction) while
        /// no more than `ahead` of its jobs are out (one running, the others waiting for its
        /// worker, which waits for them rather than take another lane's while its own has more
        /// to come: that would compile the other problem's tests too), or fewer than `reserve`
        /// of its tests: the verdicts are written on this thread, and a worker whose lane ran dry
        /// during the write would wait for it (a 10,000-verdict write is ~0.1 s of one core).
        func refill() throws {
            defer {
                if lanesDone.set(lanes.indices.map(claimedAll)) { ready.wake() }
            }
            let ahead = 2 * workerCount
            // Tests each lane keeps claimed: what its worker does in two batch writes' time at
            // the rate so far.
            let rate = Double(report.done + pendingCount) / max(elapsed(), 1e-3)
            let reserve = Int(rate * Double(options.batchSize) * writeSeconds * 2 / Double(workerCount))
            for lane in lanes.indices {
                let queue = lanes[lane]
                while (laneOutstanding[lane] <= ahead || laneOutstandingTests[lane] < reserve) && laneNext[lane] < queue.count {
                    var solutions: [Int64] = []
                    var index = laneNext[lane]
                    var count = 0
                    var tests = 0
                    while index < queue.count && (count < ahead || tests < reserve / 2) {
                        if solutions.last != queue[index].solutionID { solutions.append(queue[index].solutionID) }
                        tests += queue[index].tests.count
                        index += 1
                        count += 1
                    }
                    while index < queue.count && queue[index].solutionID == queue[index - 1].solutionID { index += 1 }
                    let claimed = try claims.claim(solutions)
                    for job in queue[laneNext[lane]..<index] {
                        if claimed.contains(job.solutionID) {
                            ready.push(job)
                            outstanding += 1
                            laneOutstanding[lane] += 1
                            laneOutstandingTests[lane] += job.tests.count
                        } else {
                            skipped.insert(job.solutionID)
                        }
                    }
                    laneNext[lane] = index
                }
            }
        }

        // Claimed before the worker threads start, so each finds its own lane's first jobs.
        do { try refill() } catch {
            for worker in workers { worker.stop() }
            throw error
        }
        for (lane, worker) in workers.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                // Its own lane's jobs (see `lanes`); any, once its lane has no more to come.
                while !stopFlag.isSet,
                      let job = ready.pop(preferring: { $0.lane == lane || $0.anyWorker }, orAnyWhen: { lanesDone[lane] }) {
                    // requeue: the tests after a timeout (or crash) come back as a new job, so
                    // a solution that loops on every test keeps every worker busy, not one.
                    let answer = worker.answer(solution: job.code, tests: job.tests, requeue: true)
                    // A job cut short by a stop has made-up crash verdicts: drop it whole.
                    if stopFlag.isSet { break }
                    let requeued = answer.requeued.isEmpty ? nil
                        : Job(problemID: job.problemID, solutionID: job.solutionID, code: job.code,
                              tests: answer.requeued, lane: job.lane, anyWorker: true)
                    results.push(JobResult(solutionID: job.solutionID, lane: job.lane, tests: job.tests.count,
                                           verdicts: answer.verdicts, requeued: requeued))
                }
                worker.stop()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        let closer = Thread {
            group.wait()
            results.close()
        }
        closer.start()

        let insert = try db.prepare("""
            INSERT INTO executions (config_id, solution_id, test_id, status, duration_s, cpu_s, max_rss_kb, output, error, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        var lastFlush = elapsed()
        var lastProgress = 0.0
        func flush() throws {
            guard !pending.isEmpty else { return }
            let began = elapsed()
            let count = pendingCount
            // The one CHECK on executions, `status IN (...)`, costs SQLite a temporary B-tree of
            // the seven statuses on every row it inserts: half the insert's cost. The write checks
            // the status itself (below) and has SQLite skip CHECK constraints; the flag is the
            // connection's, on for this transaction only (setting it re-prepares the insert).
            try db.execute("PRAGMA ignore_check_constraints = ON")
            defer { try? db.execute("PRAGMA ignore_check_constraints = OFF") }
            try db.transaction {
                for result in pending {
                    for verdict in result.verdicts {
                        guard Verdict.statuses.contains(verdict.status) else {
                            throw StoreError("internal error: a verdict with status \"\(verdict.status)\" (solution \(result.solutionID), test \(verdict.testID)); nothing of this batch was written")
                        }
                        try insert.bind(configID, at: 1)
                        try insert.bind(result.solutionID, at: 2)
                        try insert.bind(verdict.testID, at: 3)
                        try insert.bind(verdict.status, at: 4)
                        try insert.bind(verdict.duration, at: 5)
                        try insert.bind(verdict.cpu, at: 6)
                        try insert.bind(verdict.maxRSSKB, at: 7)
                        try insert.bind(verdict.output, at: 8)
                        try insert.bind(verdict.error, at: 9)
                        try insert.bind(runID, at: 10)
                        try insert.step()
                        insert.reset()
                    }
                }
            }
            for result in pending {
                report.done += result.verdicts.count
                for verdict in result.verdicts { report.counts[verdict.status, default: 0] += 1 }
            }
            pending.removeAll(keepingCapacity: true)
            pendingCount = 0
            lastFlush = elapsed()
            writeSeconds = (lastFlush - began) / Double(max(count, 1))
        }
        /// Everything claimed is done: what is still missing in scope, claimed by a run that
        /// has stopped since (killed mid-way), is planned again; what a running run holds is
        /// left to it. Closes the queue when nothing is left to take.
        func takeOverOrFinish() throws {
            try flush()
            if !skipped.isEmpty && !stopFlag.isSet {
                let missing = try plan(configID: configID).filter { skipped.contains($0.solutionID) }
                if !missing.isEmpty {
                    jobs = missing
                    lanes = Self.lanes(missing, count: workerCount)
                    laneNext = [Int](repeating: 0, count: workerCount)
                    skipped = []
                    try refill()
                    report.leftToOtherRuns = skipped.isEmpty ? 0 : jobs.filter { skipped.contains($0.solutionID) }.reduce(0) { $0 + $1.tests.count }
                    if outstanding > 0 { return }
                    // Every missing solution is held by a running run. One of this host is
                    // waited for (looked at again in a moment: it may be killed, and then its
                    // work is taken over); one of another host cannot be checked: left to it.
                    if !skipped.isEmpty, try claims.heldByRunningRunOfThisHost() {
                        Thread.sleep(forTimeInterval: 0.5)
                        return
                    }
                } else {
                    skipped = []
                    report.leftToOtherRuns = 0
                }
            }
            ready.close()
        }
        try refill()
        if outstanding == 0 { try takeOverOrFinish() }
        loop: while true {
            if shouldStop() && !stopFlag.isSet {
                stopFlag.set()
                report.interrupted = true
                ready.close()
                for worker in workers { worker.kill() }
            }
            switch results.pop(timeout: 0.1) {
            case .item(let result):
                pending.append(result)
                pendingCount += result.verdicts.count
                outstanding -= 1
                laneOutstanding[result.lane] -= 1
                laneOutstandingTests[result.lane] -= result.tests
                if let again = result.requeued, !stopFlag.isSet {
                    // In as many parts as there are workers: the tests of a solution that
                    // loops on each of them then run on every worker at once.
                    for part in again.split(into: workerCount) {
                        ready.push(part)
                        outstanding += 1
                        laneOutstanding[part.lane] += 1
                        laneOutstandingTests[part.lane] += part.tests.count
                    }
                }
                // Once everything is claimed, the pending verdicts are written as soon as they are
                // as many as the tests still out: the writes overlap the last jobs, and the final
                // write, which nothing overlaps, is small.
                let tail = allClaimed() && pendingCount >= max(1000, laneOutstandingTests.reduce(0, +))
                if pendingCount >= options.batchSize || tail || elapsed() - lastFlush > 1.0 { try flush() }
                if !stopFlag.isSet { try refill() }
            case .timedOut:
                if elapsed() - lastFlush > 1.0 { try flush() }
            case .closed:
                break loop
            }
            if outstanding == 0 && allClaimed() && !stopFlag.isSet { try takeOverOrFinish() }
            if elapsed() - lastProgress > 0.1 {
                lastProgress = elapsed()
                var counts = report.counts
                for result in pending { for verdict in result.verdicts { counts[verdict.status, default: 0] += 1 } }
                progress(ExecuteProgress(planned: report.planned, done: report.done + pendingCount, counts: counts, elapsed: elapsed()))
            }
        }
        try flush()
        report.seconds = elapsed()
        progress(ExecuteProgress(planned: report.planned, done: report.done, counts: report.counts, elapsed: report.seconds))
        return report
    }
}

/// Flags the main thread sets and worker threads read.
final class LockedFlags: @unchecked Sendable {
    private var values: [Bool]
    private let lock = NSLock()
    init(count: Int) { values = [Bool](repeating: false, count: count) }
    subscript(index: Int) -> Bool { lock.lock(); defer { lock.unlock() }; return values[index] }
    /// Sets them all; whether any changed.
    func set(_ new: [Bool]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard new != values else { return false }
        values = new
        return true
    }
}

final class StopFlag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
