import Foundation

/// Runs a pipeline config's steps in order over typed stage requests, each recorded in `runs`
/// with its equivalent command line, skipping what the database shows is done (PipelineState),
/// and handing ids from one step to the next (score run -> efficiency -> pairs -> export).
///
/// Resuming: every stage is incremental (import adds nothing twice, generate and execute do
/// only missing work), and a score run, efficiency run, pair set or export with the same
/// inputs and parameters is reused; so running a config again after a kill finishes what was
/// left, and changing one parameter re-runs only the steps it reaches.
public final class PipelineRunner {
    public struct Outcome: Sendable {
        /// "[3/9] execute".
        public var step: String
        /// "ran" or "up to date".
        public var status: String
        /// One line about what the step did or found.
        public var detail: String
        public var seconds: Double
    }

    /// What the caller sees while the pipeline runs (the CLI prints these).
    public struct Events {
        /// A step ended.
        public var stepFinished: (Outcome) -> Void = { _ in }
        /// A message for people.
        public var note: (String) -> Void = { _ in }
        /// A step is about to run: its equivalent command line.
        public var starting: (String) -> Void = { _ in }
        /// The eval step's results, as `codedpo eval` shows them.
        public var evaluated: ([EvaluationReport]) -> Void = { _ in }
        /// Progress of a long step: a line for a progress display, and seconds elapsed.
        public var progress: (String, Double) -> Void = { _, _ in }
        /// Polled by long steps: true stops them, keeping what finished.
        public var shouldStop: @Sendable () -> Bool = { false }
        public var environment: [String: String] = ProcessInfo.processInfo.environment

        public init() {}
    }

    public let config: PipelineConfig
    public let database: String
    public private(set) var outcomes: [Outcome] = []
    /// Score runs of this pipeline by score step name and strategy.
    public private(set) var scoreRuns: [String: Int64] = [:]
    public private(set) var scoreRunOrder: [Int64] = []
    public private(set) var efficiencyRun: Int64?
    public private(set) var pairSet: String?

    public init(config: PipelineConfig, database: String) {
        self.config = config
        self.database = database
    }

    /// Builds every step's request with placeholder ids, so a typo in the last step is found
    /// before the first one runs.
    public func validate(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        for step in config.steps {
            do {
                let flags = StepFlags(location: step.location, fields: step.flags.map { ($0.key, $0.value) })
                switch step.stage {
                case .import: _ = try ImportRequest(step: step, flags: flags)
                case .generate: try GenerateRequest(step: step, flags: flags).validate(environment: environment)
                case .execute: _ = try ExecuteRequest(flags: flags)
                case .score: _ = try ScoreRequest(flags: flags)
                case .eval: _ = try EvalRequest(flags: flags)
                case .efficiency: _ = try EfficiencyRequest(scoreRun: 1, flags: flags)
                case .pairs: _ = try PairsRequest(name: step.pairSet ?? "x", scoreRun: 1, efficiencyRun: step.usesEfficiency ? 1 : nil, flags: flags)
                case .export: _ = try ExportRequest(pairSet: step.pairSet ?? "x", flags: flags)
                case .report: _ = try ReportRequest(flags: flags)
                }
            } catch {
                let message = String(describing: error)
                let located = message.hasPrefix(step.location) ? message : "\(step.location): \(message)"
                throw UsageError("\(located) (the step is `codedpo \(step.arguments.joined(separator: " "))`)")
            }
        }
    }

    /// Runs every step; a failing step stops the pipeline with an error naming it.
    public func run(_ events: Events = Events()) async throws -> [Outcome] {
        for (index, step) in config.steps.enumerated() {
            let label = "[\(index + 1)/\(config.steps.count)] \(step.location.split(separator: " ").last.map(String.init) ?? step.stage.rawValue)"
            let start = Date()
            do {
                var outcome = try await perform(step, events)
                outcome.step = label
                outcome.seconds = Date().timeIntervalSince(start)
                outcomes.append(outcome)
                events.stepFinished(outcome)
            } catch let stop as Interrupted {
                throw stop
            } catch {
                throw StoreError("\(step.location) failed: \(error)\nFix it and run the same command again: finished steps are kept and skipped.")
            }
        }
        return outcomes
    }

    // MARK: steps

    private func flags(_ step: PipelineStep) -> StepFlags {
        StepFlags(location: step.location, fields: step.flags.map { ($0.key, $0.value) })
    }

    /// The command line `runs.argv` records for a step: the stand-alone command it stands for.
    private func argv(_ step: PipelineStep, _ extra: [String] = []) -> [String] {
        ["codedpo"] + step.arguments + extra + ["--db", database]
    }

    private func writable() throws -> Database {
        try Workspace.openForWriting(path: database)
    }

    private func ran(_ detail: String) -> Outcome { Outcome(step: "", status: "ran", detail: detail, seconds: 0) }
    private func upToDate(_ detail: String) -> Outcome { Outcome(step: "", status: "up to date", detail: detail, seconds: 0) }

    private func perform(_ step: PipelineStep, _ events: Events) async throws -> Outcome {
        switch step.stage {
        case .import:
            let request = try ImportRequest(step: step, flags: flags(step))
            events.starting(argv(step).joined(separator: " "))
            let report = try request.run(db: try writable(), argv: argv(step))
            for file in report.files { for note in file.notes { events.note(note) } }
            return ran(try summary(of: step))
        case .generate:
            let request = try GenerateRequest(step: step, flags: flags(step))
            let options = try request.options(environment: events.environment)
            events.starting(argv(step).joined(separator: " "))
            let report = try await request.run(db: try writable(), argv: argv(step), options: options, progress: { state in
                events.progress("\(state.samplesDone)/\(state.samplesPlanned) samples, \(state.requestsDone) requests", state.elapsed)
            }, note: events.note, shouldStop: events.shouldStop)
            if report.interrupted { throw Interrupted() }
            if let reason = report.stoppedBecause {
                throw GenerationError("stopped: \(reason). Check the endpoint, the model and the server (finished answers are kept).")
            }
            return ran(try summary(of: step))
        case .execute:
            let request = try ExecuteRequest(flags: flags(step))
            let interpreter = try PythonInterpreter.resolve(request.python)
            events.starting(argv(step).joined(separator: " "))
            let report = try request.run(db: try writable(), argv: argv(step), interpreter: interpreter, progress: { state in
                events.progress("\(state.done)/\(state.planned) verdicts", state.elapsed)
            }, shouldStop: events.shouldStop)
            if report.interrupted { throw Interrupted() }
            return ran(try summary(of: step))
        case .report:
            let request = try ReportRequest(flags: flags(step))
            events.starting(argv(step).joined(separator: " "))
            _ = try request.run(db: try Workspace.openForReading(path: database))
            return ran(try summary(of: step))
        case .score:
            return try score(step, events)
        case .eval:
            var request = try EvalRequest(flags: flags(step))
            if !scoreRunOrder.isEmpty { request.scoreRuns = scoreRunOrder }
            let extra = scoreRunOrder.flatMap { ["--score-run", String($0)] }
            events.starting(argv(step, extra).joined(separator: " "))
            let reports = try request.run(database: database, argv: argv(step, extra), note: events.note, progress: { state in
                events.progress("\(state.done)/\(state.planned) ground-truth verdicts", state.elapsed)
            }, shouldStop: events.shouldStop)
            events.evaluated(reports)
            return ran("evaluated \(scoreRunOrder.isEmpty ? "every" : String(scoreRunOrder.count)) score run(s) against ground truth")
        case .efficiency:
            let scoreRun = try reference(step)
            let request = try EfficiencyRequest(scoreRun: scoreRun, flags: flags(step))
            let parameters = try request.options().json
            if let existing = try state({ try $0.efficiencyRun(scoreRun: scoreRun, parameters: parameters) }) {
                efficiencyRun = existing
                return upToDate("efficiency run \(existing) of score run \(scoreRun)")
            }
            let extra = ["--score-run", String(scoreRun)]
            events.starting(argv(step, extra).joined(separator: " "))
            let started = Date()
            let report = try request.run(db: try writable(), argv: argv(step, extra), progress: { done, total in
                events.progress("\(done)/\(total) timed solution runs", Date().timeIntervalSince(started))
            }, shouldStop: events.shouldStop)
            efficiencyRun = report.efficiencyRunID
            return ran(try efficiencySummary())
        case .pairs:
            let scoreRun = try reference(step)
            var chosenEfficiencyRun: Int64?
            if step.usesEfficiency {
                guard let efficiencyRun else { throw StoreError("no efficiency run to take speed pairs from (the efficiency step made none)") }
                chosenEfficiencyRun = efficiencyRun
            }
            let wanted = step.pairSet ?? "pairs"
            var request = try PairsRequest(name: wanted, scoreRun: scoreRun, efficiencyRun: chosenEfficiencyRun, flags: flags(step))
            let policy = try request.policy().json
            let (name, exists) = try state { try $0.pairSetName(wanted, scoreRun: scoreRun, efficiencyRun: chosenEfficiencyRun, policy: policy) }
            pairSet = name
            if exists { return upToDate(try pairsSummary(name)) }
            if name != wanted { events.note("pair set \"\(wanted)\" exists and was built from other inputs: this one is \"\(name)\"") }
            request.name = name
            let extra = ["--score-run", String(scoreRun)] + (chosenEfficiencyRun.map { ["--efficiency-run", String($0)] } ?? []) + ["--name", name]
            events.starting(argv(step, extra).joined(separator: " "))
            _ = try request.run(db: try writable(), argv: argv(step, extra))
            return ran(try pairsSummary(name))
        case .export:
            guard let set = step.pairSet ?? pairSet else { throw StoreError("no pair set to export") }
            let request = try ExportRequest(pairSet: set, flags: flags(step))
            let out = request.out ?? request.hub ?? ""
            if request.split == nil, request.out != nil, try state({ try $0.exportIsCurrent(pairSet: set, format: request.format, path: out) }) {
                return upToDate("\(request.format) \(out)")
            }
            let extra = ["--pair-set", set]
            events.starting(argv(step, extra).joined(separator: " "))
            let report = try request.run(db: try writable(), argv: argv(step, extra))
            // The files it just wrote (two with --split).
            let rows = report.files.reduce(0) { $0 + $1.rows }
            return ran("\(request.format) -> \(out) (\(rows) rows, every line re-read and checked; manifest beside it)")
        }
    }

    private func score(_ step: PipelineStep, _ events: Events) throws -> Outcome {
        let request = try ScoreRequest(flags: flags(step))
        let strategies = try request.strategies()
        func existing() throws -> [Int64]? {
            try state { state in
                guard let config = try state.scoringConfig(explicit: request.executionConfig) else { return nil }
                let ids = try strategies.map { try state.scoreRun(strategy: $0.name, parameters: $0.parameters, config: config) }
                return ids.contains(nil) ? nil : ids.compactMap { $0 }
            }
        }
        var status = "up to date"
        var ids = try existing()
        if ids == nil {
            events.starting(argv(step).joined(separator: " "))
            ids = try request.run(db: try writable(), argv: argv(step)).map(\.scoreRunID)
            status = "ran"
        }
        guard let ids else { throw StoreError("the score runs it made were not found") }
        for (strategy, id) in zip(strategies, ids) {
            if scoreRuns[strategy.name] == nil { scoreRuns[strategy.name] = id }
            if !scoreRunOrder.contains(id) { scoreRunOrder.append(id) }
        }
        if let name = step.name, let first = ids.first { scoreRuns[name] = first }
        let detail = zip(strategies, ids).map { "\($0.name) = score run \($1)" }.joined(separator: ", ")
        return Outcome(step: "", status: status, detail: detail, seconds: 0)
    }

    private func reference(_ step: PipelineStep) throws -> Int64 {
        guard let ref = step.scoreRef, let id = scoreRuns[ref] else {
            throw StoreError("no score run for \"\(step.scoreRef ?? "")\": put its score step before this one")
        }
        return id
    }

    private func state<T>(_ body: (PipelineState) throws -> T) throws -> T {
        let db = try Workspace.openForReading(path: database)
        return try body(PipelineState(db: db))
    }

    // MARK: one line per step

    private func summary(of step: PipelineStep) throws -> String {
        try state { state in
            let db = state.db
            switch step.stage {
            case .import, .generate:
                let row = try db.rows("""
                    SELECT (SELECT count(*) FROM problems) AS problems, (SELECT count(*) FROM solutions) AS solutions,
                           (SELECT coalesce(sum(sample_count), 0) FROM solutions) AS samples,
                           (SELECT count(*) FROM tests WHERE kind = 'generated') AS generated,
                           (SELECT count(*) FROM tests WHERE kind = 'ground_truth') AS ground_truth
                    """)[0]
                return "\(step.positional.first ?? ""): database now holds \(row[0].int64!) problems, \(row[1].int64!) solutions (\(row[2].int64!) samples), \(row[3].int64!) generated + \(row[4].int64!) ground-truth tests"
            case .execute:
                let counts = try db.rows("SELECT status, count(*) FROM executions GROUP BY status ORDER BY count(*) DESC")
                let total = counts.reduce(Int64(0)) { $0 + $1[1].int64! }
                return "\(total) verdicts: " + counts.map { "\($0[1].int64!) \($0[0].string!)" }.joined(separator: ", ")
            case .report:
                let out = step.flags.first { $0.key == "out" }?.value.stringValue ?? "report.html"
                return "report -> \(out)"
            default:
                return ""
            }
        }
    }

    private func efficiencySummary() throws -> String {
        guard let efficiencyRun else { return "no efficiency run" }
        return try state { state in
            let row = try state.db.rows("""
                SELECT count(*), sum(status = 'ranked'), sum(status = 'noisy'), sum(status = 'failed'),
                       (SELECT count(*) FROM timings WHERE efficiency_run_id = ?1)
                FROM efficiency_results WHERE efficiency_run_id = ?1
                """, efficiencyRun)[0]
            return "efficiency run \(efficiencyRun): \(row[0].int64 ?? 0) solutions timed (\(row[4].int64 ?? 0) measurements): \(row[1].int64 ?? 0) ranked, \(row[2].int64 ?? 0) too noisy, \(row[3].int64 ?? 0) failed"
        }
    }

    private func pairsSummary(_ name: String) throws -> String {
        try state { state in
            let row = try state.db.rows("""
                SELECT sum(kind = 'correctness'), sum(kind = 'efficiency'), count(DISTINCT problem_id) FROM pairs
                WHERE pair_set_id = (SELECT id FROM pair_sets WHERE name = ?)
                """, name)[0]
            return "pair set \"\(name)\": \(row[0].int64 ?? 0) correctness + \(row[1].int64 ?? 0) efficiency pairs over \(row[2].int64 ?? 0) problems"
        }
    }
}
