import Foundation

/// Options of one `codedpo generate`.
public struct GenerateOptions: Sendable {
    public var stage: GenerationStage
    public var client: ClientSettings
    public var template: PromptTemplate
    /// Samples wanted per problem (or seed) from this model: only the missing ones are asked for.
    public var samples = 1
    /// At most this many samples per request (the API's `n`); 1 asks one at a time.
    public var maxN = 16
    /// Requests in flight at once.
    public var concurrency = 4
    public var temperature: Double? = 0.8
    public var topP: Double? = 0.95
    public var maxTokens: Int? = 1024
    /// Request k of a problem (its slot) is sent with seed + k, so repeated requests differ.
    public var seed: Int?
    /// Stop sequences; nil: the template's defaults.
    public var stop: [String]?
    /// Only these problems (external ids; solutions and tests) or seeds (ids; problems).
    public var problems: [String] = []
    public var seeds: [Int64] = []
    /// An SQL condition over p (problems) or s (seeds).
    public var whereSQL: String?
    public var shard: Shard?
    /// At most this many problems (or seeds), the first in scope by id.
    public var limit: Int?
    public var python: String?
    /// Count only answers that parsed toward `samples`, so unparseable ones are asked again.
    public var retryUnparseable = false
    /// Stop the run after this many requests in a row failed for good (0: never).
    public var maxConsecutiveFailures = 20
    /// Generated problems are named PREFIX + entry point + "-" + a hash of the problem.
    public var idPrefix = "gen/"

    public init(stage: GenerationStage, client: ClientSettings, template: PromptTemplate) {
        self.stage = stage
        self.client = client
        self.template = template
    }

    /// The sampling parameters as stored in `generations.parameters` and the run's parameters
    /// (never the API key).
    public var parameters: JSON {
        .object([
            ("stage", .string(stage.rawValue)), ("endpoint", .string(client.storedEndpoint)), ("model", .string(client.model)),
            ("api", .string(client.api.rawValue)), ("template", .string(template.name)), ("samples", .int(Int64(samples))),
            ("max_n", .int(Int64(maxN))), ("temperature", JSON(temperature)), ("top_p", JSON(topP)),
            ("max_tokens", JSON(maxTokens)), ("seed", JSON(seed)), ("stop", JSON(effectiveStop)),
            ("concurrency", .int(Int64(concurrency))), ("timeout_s", .double(client.timeout)), ("retries", .int(Int64(client.retries))),
            ("retry_unparseable", .bool(retryUnparseable)),
        ])
    }

    public var effectiveStop: [String] { stop ?? template.defaultStop }
}

/// What is planned: problems (or seeds) in scope and the samples still missing.
public struct GenerationPlan: Sendable {
    public var inScope = 0
    /// Problems skipped: no entry point, or not Python.
    public var skipped: [String: Int] = [:]
    /// Targets that already have every sample wanted.
    public var complete = 0
    public var samplesHave = 0
    public var samplesMissing = 0
    public var targetsWithWork = 0

    public var json: JSON {
        .object([
            ("in_scope", .int(Int64(inScope))), ("complete", .int(Int64(complete))), ("with_work", .int(Int64(targetsWithWork))),
            ("samples_stored", .int(Int64(samplesHave))), ("samples_missing", .int(Int64(samplesMissing))),
            ("skipped", .object(skipped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ])
    }
}

public struct GenerateProgress: Sendable {
    public var samplesPlanned: Int
    /// Samples received plus samples of requests that failed for good.
    public var samplesDone: Int
    public var requestsDone: Int
    public var inFlight: Int
    public var failed: Int
    public var unparseable: Int
    public var completionTokens: Int
    public var elapsed: Double
}

public struct GenerateReport: Sendable {
    public var stage: GenerationStage
    public var model: String
    public var plan = GenerationPlan()
    public var requests = 0
    public var ok = 0
    public var failed = 0
    public var attempts = 0
    public var choices = 0
    public var parsed = 0
    public var unparseable = 0
    /// New rows per table, and existing rows that got one more provenance (sampled again).
    public var added: [String: Int] = [:]
    public var merged = 0
    public var promptTokens = 0
    public var completionTokens = 0
    public var seconds = 0.0
    public var interrupted = false
    /// Why the run stopped before the end, when it did (too many failures in a row).
    public var stoppedBecause: String?
    /// The server returned one choice when asked for more: it ignores `n`.
    public var serverIgnoresN = false
    public var firstErrors: [String] = []
    public var firstUnparseable: [String] = []

    public var json: JSON {
        .object([
            ("stage", .string(stage.rawValue)), ("model", .string(model)), ("plan", plan.json),
            ("requests", .int(Int64(requests))), ("ok", .int(Int64(ok))), ("failed", .int(Int64(failed))),
            ("attempts", .int(Int64(attempts))), ("choices", .int(Int64(choices))), ("parsed", .int(Int64(parsed))),
            ("unparseable", .int(Int64(unparseable))),
            ("added", .object(added.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("merged", .int(Int64(merged))), ("prompt_tokens", .int(Int64(promptTokens))),
            ("completion_tokens", .int(Int64(completionTokens))), ("seconds", .double((seconds * 1000).rounded() / 1000)),
            ("interrupted", .bool(interrupted)), ("stopped_because", JSON(stoppedBecause)),
            ("server_ignores_n", .bool(serverIgnoresN)), ("first_errors", JSON(firstErrors)),
            ("first_unparseable", JSON(firstUnparseable)),
        ])
    }
}

/// Drives an OpenAI-compatible endpoint for one stage: plans the samples each problem (or
/// seed) still lacks, sends the requests with bounded concurrency, and records every request
/// and answer in `generations` / `generation_outputs` and what parsed in `problems`,
/// `solutions` or `tests` through the shared ContentCatalog (identity by content, provenance per request).
///
/// Resuming: a request is a `generations` row written (pending) before it is sent and
/// completed, with its outputs and the rows they yield, in one transaction when its answer
/// arrives. So a run killed at any point leaves whole answers or pending rows (marked failed
/// by the next run), never half an answer; and the next run counts the samples stored and
/// asks only for the missing ones. `slot` numbers a target's requests (unique per stage and
/// target), so no two requests are ever recorded as one.
public final class Generator {
    struct Target {
        let problemID: Int64?
        let seedID: Int64?
        let name: String
        let values: [String: String]
        let prompt: String?
        let entryPoint: String?
        var key: TargetKey { TargetKey(problemID: problemID ?? 0, seedID: seedID ?? 0) }
    }

    struct TargetKey: Hashable {
        let problemID: Int64
        let seedID: Int64
    }

    struct WorkItem: Sendable {
        let target: Int
        let n: Int
    }

    enum TaskResult: Sendable {
        case response(generationID: Int64, item: WorkItem, outcome: CallOutcome)
        case tick
        case stop
    }

    let db: Database
    let runID: Int64
    let options: GenerateOptions
    var targets: [Target] = []
    var nextSlot: [TargetKey: Int] = [:]
    private var catalog: ContentCatalog?
    private var parser: ResponseParser?
    private var sourceID: Int64 = 0

    public init(db: Database, runID: Int64, options: GenerateOptions) {
        self.db = db
        self.runID = runID
        self.options = options
    }

    // MARK: Planning

    /// The targets in scope and, per target, the samples still missing.
    public func plan() throws -> (GenerationPlan, [(target: Int, missing: Int)]) {
        var plan = GenerationPlan()
        targets = try loadTargets(skipped: &plan.skipped)
        plan.inScope = targets.count
        let have = try storedSamples()
        var work: [(Int, Int)] = []
        for (index, target) in targets.enumerated() {
            let stored = have[target.key] ?? 0
            plan.samplesHave += min(stored, options.samples)
            let missing = max(0, options.samples - stored)
            if missing == 0 {
                plan.complete += 1
            } else {
                plan.targetsWithWork += 1
                plan.samplesMissing += missing
                work.append((index, missing))
            }
        }
        return (plan, work)
    }

    func loadTargets(skipped: inout [String: Int]) throws -> [Target] {
        var result: [Target] = []
        let condition = options.whereSQL.map { "WHERE (\($0))" } ?? ""
        if options.stage == .problems {
            let wanted = Set(options.seeds)
            var found = Set<Int64>()
            for row in try db.rows("SELECT s.id, s.content_hash, s.content, s.language, s.name FROM seeds s \(condition) ORDER BY s.id") {
                let id = row[0].int64!
                if !wanted.isEmpty && !wanted.contains(id) { continue }
                found.insert(id)
                if let shard = options.shard, !shard.contains(externalID: row[1].string!) { continue }
                let name = row[4].string
                result.append(Target(problemID: nil, seedID: id, name: "seed \(id)" + (name.map { " (\($0))" } ?? ""),
                                     values: ["seed": row[2].string!, "language": row[3].string ?? "python", "seed_name": name ?? ""],
                                     prompt: nil, entryPoint: nil))
                if let limit = options.limit, result.count >= limit { break }
            }
            if let missing = wanted.subtracting(found).sorted().first, options.limit == nil || result.count < options.limit! {
                throw GenerationError("no seed \(missing) in the database\(options.whereSQL == nil ? "" : " matching --where") (see: codedpo query \"SELECT id, name FROM seeds\")")
            }
            if try result.isEmpty && wanted.isEmpty && (db.int("SELECT count(*) FROM seeds") ?? 0) == 0 {
                throw GenerationError("there are no seeds to make problems from: import some first (codedpo import seeds DIR_OR_FILE)")
            }
            return result
        }
        let wanted = Set(options.problems)
        var found = Set<String>()
        for row in try db.rows("SELECT p.id, p.external_id, p.prompt, p.entry_point, p.language FROM problems p \(condition) ORDER BY p.id") {
            let externalID = row[1].string!
            if !wanted.isEmpty && !wanted.contains(externalID) { continue }
            found.insert(externalID)
            if let shard = options.shard, !shard.contains(externalID: externalID) { continue }
            let language = row[4].string ?? "python"
            guard language == "python" else {
                skipped["not python", default: 0] += 1
                continue
            }
            guard let entryPoint = row[3].string, !entryPoint.isEmpty else {
                skipped["no entry point", default: 0] += 1
                continue
            }
            let prompt = row[2].string!
            result.append(Target(problemID: row[0].int64!, seedID: nil, name: externalID,
                                 values: ["prompt": prompt, "entry_point": entryPoint, "language": language, "problem_id": externalID],
                                 prompt: prompt, entryPoint: entryPoint))
            if let limit = options.limit, result.count >= limit { break }
        }
        if let missing = wanted.subtracting(found).sorted().first, options.limit == nil || result.count < options.limit! {
            throw GenerationError("no problem \"\(missing)\" in the database\(options.whereSQL == nil ? "" : " matching --where") (see: codedpo query \"SELECT external_id FROM problems\")")
        }
        if try result.isEmpty && wanted.isEmpty && skipped.isEmpty && (db.int("SELECT count(*) FROM problems") ?? 0) == 0 {
            throw GenerationError("there are no problems to generate \(options.stage.rawValue) for: import some (codedpo import problems FILE) or generate them from seeds (codedpo generate problems --from-seeds)")
        }
        return result
    }

    /// Samples stored per target for this stage and model: choices of answered requests
    /// (only those that parsed, with retryUnparseable), plus the samples that requests of
    /// other runs still running are waiting for.
    func storedSamples() throws -> [TargetKey: Int] {
        var have: [TargetKey: Int] = [:]
        let parsedOnly = options.retryUnparseable ? "AND o.parse_status = 'ok'" : ""
        for row in try db.rows("""
            SELECT ifnull(g.problem_id, 0), ifnull(g.seed_id, 0), count(*) FROM generations g
            JOIN generation_outputs o ON o.generation_id = g.id
            WHERE g.stage = ? AND g.model = ? AND g.status = 'ok' \(parsedOnly)
            GROUP BY 1, 2
            """, options.stage.rowStage, options.client.model) {
            have[TargetKey(problemID: row[0].int64!, seedID: row[1].int64!), default: 0] += row[2].int!
        }
        for row in try db.rows("""
            SELECT ifnull(g.problem_id, 0), ifnull(g.seed_id, 0), sum(ifnull(json_extract(g.parameters, '$.n'), 1))
            FROM generations g JOIN runs r ON r.id = g.run_id
            WHERE g.stage = ? AND g.model = ? AND g.status = 'pending' AND r.status = 'running' AND g.run_id <> ?
            GROUP BY 1, 2
            """, options.stage.rowStage, options.client.model, runID) {
            have[TargetKey(problemID: row[0].int64!, seedID: row[1].int64!), default: 0] += row[2].int ?? 0
        }
        return have
    }

    /// Requests left pending by runs that ended (killed) never got an answer: say so.
    func closeAbandonedRequests() throws -> Int {
        try db.run("""
            UPDATE generations SET status = 'failed', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                error = 'no answer recorded: run ' || run_id || ' ended before it arrived'
            WHERE status = 'pending' AND run_id IN (SELECT id FROM runs WHERE status <> 'running')
            """)
        return db.changes
    }

    // MARK: Running

    /// Plans, sends and records. `shouldStop` is polled (Ctrl-C): requests in flight are
    /// cancelled and recorded as failed, finished answers are kept.
    public func run(progress: (GenerateProgress) -> Void = { _ in }, note: (String) -> Void = { _ in },
                    shouldStop: @escaping @Sendable () -> Bool = { false }) async throws -> GenerateReport {
        let started = Date()
        var report = GenerateReport(stage: options.stage, model: options.client.model)
        let abandoned = try closeAbandonedRequests()
        if abandoned > 0 { note("\(abandoned) request(s) of earlier runs never got an answer (the run was killed): marked failed; their samples are asked again") }
        let (plan, work) = try plan()
        report.plan = plan
        guard !work.isEmpty else {
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        parser = try ResponseParser(python: options.python)
        catalog = ContentCatalog(db: db, runID: runID)
        sourceID = try endpointSource()
        try loadSlots()
        let client = try OpenAIClient(settings: options.client, maxConnections: options.concurrency)

        var queue: [WorkItem] = work.map { WorkItem(target: $0.target, n: $0.missing) }
        var queueStart = 0
        var maxN = max(1, options.maxN)
        var inFlight = 0
        var stopping = false
        var consecutiveFailures = 0
        var samplesDone = 0
        let samplesPlanned = plan.samplesMissing

        func nextItem() -> WorkItem? {
            guard queueStart < queue.count else { return nil }
            let item = queue[queueStart]
            if item.n > maxN {
                queue[queueStart] = WorkItem(target: item.target, n: item.n - maxN)
                return WorkItem(target: item.target, n: maxN)
            }
            queueStart += 1
            return item
        }
        func pushFront(_ item: WorkItem) {
            if queueStart > 0 {
                queueStart -= 1
                queue[queueStart] = item
            } else {
                queue.insert(item, at: 0)
            }
        }
        func showProgress() {
            progress(GenerateProgress(samplesPlanned: samplesPlanned, samplesDone: samplesDone, requestsDone: report.requests,
                                      inFlight: inFlight, failed: report.failed, unparseable: report.unparseable,
                                      completionTokens: report.completionTokens, elapsed: Date().timeIntervalSince(started)))
        }

        try await withThrowingTaskGroup(of: TaskResult.self) { group in
            func addWatcher() {
                group.addTask {
                    for _ in 0..<5 {
                        if shouldStop() { return .stop }
                        do { try await Task.sleep(nanoseconds: 100_000_000) } catch { return .tick }
                    }
                    return shouldStop() ? .stop : .tick
                }
            }
            addWatcher()
            showProgress()
            while true {
                while !stopping && inFlight < options.concurrency, let item = nextItem() {
                    let (generationID, body) = try insertPending(item)
                    let n = item.n
                    group.addTask { .response(generationID: generationID, item: item, outcome: await client.send(body: body, expectChoices: n)) }
                    inFlight += 1
                }
                if inFlight == 0 { break }
                guard let result = try await group.next() else { break }
                switch result {
                case .tick:
                    if !stopping { addWatcher() }
                    showProgress()
                case .stop:
                    if !stopping {
                        stopping = true
                        report.interrupted = true
                        group.cancelAll()
                    }
                case .response(let generationID, let item, var outcome):
                    inFlight -= 1
                    if outcome.status == .cancelled, let reason = report.stoppedBecause {
                        outcome.error = "not answered: the run stopped (\(reason))"
                    }
                    let choices = try record(generationID: generationID, item: item, outcome: outcome, report: &report)
                    if outcome.status == .ok {
                        consecutiveFailures = 0
                        samplesDone += min(choices, item.n)
                        if choices < item.n && !stopping {
                            if choices == 1 && maxN > 1 {
                                maxN = 1
                                report.serverIgnoresN = true
                                note("the endpoint returned 1 choice when asked for n=\(item.n): it ignores n; asking for the other samples one request at a time")
                            }
                            pushFront(WorkItem(target: item.target, n: item.n - choices))
                        }
                    } else if outcome.rejectedN && !stopping {
                        maxN = 1
                        note("the endpoint refused n=\(item.n) (\(outcome.error ?? "")); asking one sample per request")
                        pushFront(item)
                    } else {
                        samplesDone += item.n
                        if outcome.status == .failed {
                            consecutiveFailures += 1
                            if options.maxConsecutiveFailures > 0 && consecutiveFailures >= options.maxConsecutiveFailures && !stopping {
                                stopping = true
                                report.stoppedBecause = "\(consecutiveFailures) requests in a row failed; the last: \(outcome.error ?? "?")"
                                group.cancelAll()
                            }
                        }
                    }
                    showProgress()
                }
            }
            group.cancelAll()
        }
        report.seconds = Date().timeIntervalSince(started)
        showProgress()
        return report
    }

    // MARK: Requests

    func endpointSource() throws -> Int64 {
        let endpoint = options.client.storedEndpoint
        let identity = "endpoint:\(endpoint)#model=\(options.client.model)"
        if let id = try db.int("SELECT id FROM sources WHERE identity = ?", identity) { return Int64(id) }
        try db.run("INSERT INTO sources (kind, identity, uri, run_id) VALUES ('endpoint', ?, ?, ?)", identity, endpoint, runID)
        return db.lastInsertRowID
    }

    func loadSlots() throws {
        nextSlot = [:]
        for row in try db.rows("SELECT ifnull(problem_id, 0), ifnull(seed_id, 0), max(slot) FROM generations WHERE stage = ? GROUP BY 1, 2",
                               options.stage.rowStage) {
            nextSlot[TargetKey(problemID: row[0].int64!, seedID: row[1].int64!)] = row[2].int! + 1
        }
    }

    func requestBody(target: Target, n: Int, slot: Int) -> JSON {
        let rendered = options.template.render(target.values)
        var members: [(String, JSON)] = [("model", .string(options.client.model)), rendered.json]
        if n != 1 { members.append(("n", .int(Int64(n)))) }
        if let temperature = options.temperature { members.append(("temperature", .double(temperature))) }
        if let topP = options.topP { members.append(("top_p", .double(topP))) }
        if let maxTokens = options.maxTokens { members.append(("max_tokens", .int(Int64(maxTokens)))) }
        if let seed = options.seed { members.append(("seed", .int(Int64(seed + slot)))) }
        let stop = options.effectiveStop
        if !stop.isEmpty { members.append(("stop", JSON(stop))) }
        return .object(members)
    }

    /// Records a request as pending before it is sent: its slot, the exact body (no key), the
    /// template and the parameters.
    func insertPending(_ item: WorkItem) throws -> (Int64, JSON) {
        let target = targets[item.target]
        var parameters = options.parameters.objectValue ?? []
        parameters.insert(("n", .int(Int64(item.n))), at: 0)
        for attempt in 0..<100 {
            let slot = nextSlot[target.key] ?? 0
            let body = requestBody(target: target, n: item.n, slot: slot)
            do {
                try db.run("""
                    INSERT INTO generations (run_id, stage, seed_id, problem_id, slot, endpoint, model, api, template_name, template,
                                             request, parameters, status, attempts)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0)
                    """, runID, options.stage.rowStage, target.seedID, target.problemID, slot, options.client.storedEndpoint,
                           options.client.model, options.client.api.rawValue, options.template.name, options.template.text,
                           body.text, JSON.object(parameters).text)
                nextSlot[target.key] = slot + 1
                return (db.lastInsertRowID, body)
            } catch let error as SQLiteError where error.isConstraintViolation && attempt < 99 {
                // Another run took this slot meanwhile: take the next free one.
                let max = try db.int("SELECT max(slot) FROM generations WHERE stage = ? AND ifnull(problem_id, 0) = ? AND ifnull(seed_id, 0) = ?",
                                     options.stage.rowStage, target.key.problemID, target.key.seedID) ?? slot
                nextSlot[target.key] = max + 1
            }
        }
        throw GenerationError("could not number a request for \(target.name)")
    }

    // MARK: Recording answers

    /// Records an answer (or a failure) and what it yields, in one transaction. Returns the
    /// number of choices received.
    func record(generationID: Int64, item: WorkItem, outcome: CallOutcome, report: inout GenerateReport) throws -> Int {
        let target = targets[item.target]
        report.requests += 1
        report.attempts += outcome.attempts
        report.promptTokens += outcome.promptTokens ?? 0
        report.completionTokens += outcome.completionTokens ?? 0
        var parsed: [ParsedAnswer] = []
        if outcome.status == .ok {
            let prefix: String?
            switch (options.client.api, options.stage) {
            case (.chat, _): prefix = nil
            case (.completion, .problems): prefix = options.template.textAfterSeed(target.values)
            case (.completion, _):
                if case .completion(let text) = options.template.render(target.values) { prefix = text } else { prefix = nil }
            }
            parsed = try parser!.parse(outcome.choices.map {
                ParseRequest(stage: options.stage, api: options.client.api, text: $0.text, prompt: target.prompt,
                             entryPoint: target.entryPoint, prefix: prefix)
            })
        }
        var written = Written()
        try db.transaction {
            let status = outcome.status == .ok ? "ok" : "failed"
            try db.run("""
                UPDATE generations SET status = ?, http_status = ?, attempts = ?, error = ?, response = ?, prompt_tokens = ?,
                    completion_tokens = ?, latency_s = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE id = ?
                """, status, outcome.httpStatus, outcome.attempts, outcome.error, outcome.response?.text, outcome.promptTokens,
                       outcome.completionTokens, outcome.latency, generationID)
            for (choice, answer) in zip(outcome.choices, parsed) {
                let locator = "generation \(generationID) choice \(choice.index)"
                var items = 0
                var parseError: String?
                var details: JSON?
                switch answer {
                case .unparseable(let reason, let extra):
                    parseError = reason
                    details = extra
                case .solution(let code, let extra):
                    details = extra
                    items = try writeSolution(code, target: target, locator: locator, generationID: generationID, written: &written)
                case .tests(let tests, let extra):
                    details = extra
                    for (index, test) in tests.enumerated() {
                        items += try writeTest(test, index: index, target: target, locator: locator, generationID: generationID, written: &written)
                    }
                case .problem(let prompt, let entryPoint, let concept, let description, let extra):
                    details = extra
                    do {
                        items = try writeProblem(prompt: prompt, entryPoint: entryPoint, concept: concept, description: description,
                                                 target: target, locator: locator, generationID: generationID, written: &written)
                    } catch let bad as BadItem {
                        parseError = bad.message
                    }
                }
                if items == 0 && parseError == nil { parseError = "nothing usable in the answer" }
                try db.run("""
                    INSERT INTO generation_outputs (generation_id, choice_index, text, finish_reason, parse_status, parse_error, items, details)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, generationID, choice.index, choice.text, choice.finishReason, parseError == nil ? "ok" : "unparseable",
                           parseError, items, details?.text)
                if let parseError {
                    report.unparseable += 1
                    if report.firstUnparseable.count < 5 { report.firstUnparseable.append("\(target.name) (\(locator)): \(parseError)") }
                } else {
                    report.parsed += 1
                }
            }
        }
        if outcome.status == .ok {
            report.ok += 1
            report.choices += outcome.choices.count
        } else if outcome.status == .failed || outcome.status == .cancelled {
            if !outcome.rejectedN { report.failed += 1 }
            if report.firstErrors.count < 5 { report.firstErrors.append("\(target.name) (generation \(generationID)): \(outcome.error ?? "failed")") }
        }
        for (table, count) in written.added { report.added[table, default: 0] += count }
        report.merged += written.merged
        return outcome.status == .ok ? outcome.choices.count : 0
    }

    /// What the answers of one response added to the catalog.
    struct Written {
        var added: [String: Int] = [:]
        var merged = 0

        mutating func count(_ outcome: CatalogOutcome, table: String) {
            if outcome == .added { added[table, default: 0] += 1 } else if outcome == .merged { merged += 1 }
        }
    }

    func writeSolution(_ code: String, target: Target, locator: String, generationID: Int64, written: inout Written) throws -> Int {
        let normalized = Normalize.text(code)
        guard !normalized.isEmpty, let problemID = target.problemID else { return 0 }
        let provenance = Provenance(sourceID: sourceID, locator: locator, model: options.client.model, generationID: generationID)
        let (_, outcome) = try catalog!.writeSolution(problemID: problemID, code: normalized, hash: Normalize.hash(normalized), count: 1, provenance: provenance)
        written.count(outcome, table: "solutions")
        return 1
    }

    func writeTest(_ code: String, index: Int, target: Target, locator: String, generationID: Int64, written: inout Written) throws -> Int {
        let normalized = Normalize.text(code)
        guard !normalized.isEmpty, let problemID = target.problemID else { return 0 }
        let provenance = Provenance(sourceID: sourceID, locator: "\(locator) test \(index)", model: options.client.model, generationID: generationID)
        let (_, outcome) = try catalog!.writeTest(problemID: problemID, kind: .generated, code: normalized, hash: Normalize.hash(normalized),
                                                  count: 1, provenance: provenance)
        written.count(outcome, table: "tests")
        return 1
    }

    func writeProblem(prompt: String, entryPoint: String, concept: String?, description: String?, target: Target, locator: String,
                      generationID: Int64, written: inout Written) throws -> Int {
        guard let seedID = target.seedID else { return 0 }
        let normalized = Normalize.text(prompt)
        let hash = Normalize.problemHash(prompt: normalized, entryPoint: entryPoint, language: "python")
        let externalID = "\(options.idPrefix)\(entryPoint)-\(hash.prefix(10))"
        var metadata: [(String, JSON)] = []
        if let concept { metadata.append(("concept", .string(concept))) }
        metadata.append(("seed_id", .int(seedID)))
        metadata.append(("generation_id", .int(generationID)))
        let record = ProblemRecord(externalID: externalID, prompt: normalized, entryPoint: entryPoint, language: "python",
                                   metadata: .object(metadata), groundTruthTests: [])
        _ = description
        let existing = try catalog!.existingProblem(externalID: externalID, hash: hash)
        let provenance = Provenance(sourceID: sourceID, locator: locator, metadata: .object([("generation_id", .int(generationID)), ("seed_id", .int(seedID))]),
                                    generationID: generationID)
        let (_, outcome) = try catalog!.writeProblem(record, hash: hash, existing: existing, seedID: seedID, provenance: provenance)
        written.count(outcome, table: "problems")
        return 1
    }
}
