import ArgumentParser
import CodeDPOKit
import Foundation

/// Runs a pipeline config's steps as the stand-alone commands would run (each is recorded in
/// `runs` with its equivalent command line), skipping what the database shows is done, and
/// handing ids from one step to the next (score run -> efficiency -> pairs -> export).
final class PipelineDriver {
    struct Outcome {
        var stage: String
        var status: String
        var detail: String
        var seconds: Double
    }

    let config: PipelineConfig
    let database: String
    /// Show each command's own output, not just one line per step.
    let verbose: Bool
    private(set) var outcomes: [Outcome] = []
    /// Score runs of this pipeline by score step name and strategy.
    private(set) var scoreRuns: [String: Int64] = [:]
    private(set) var scoreRunOrder: [Int64] = []
    private(set) var efficiencyRun: Int64?
    private(set) var pairSet: String?

    init(config: PipelineConfig, database: String, verbose: Bool) {
        self.config = config
        self.database = database
        self.verbose = verbose
    }

    /// Parses every step with placeholder ids, so a typo in the last step is found before the
    /// first one runs.
    func validate() throws {
        for step in config.steps {
            var arguments = step.arguments
            switch step.stage {
            case .efficiency: arguments += ["--score-run", "1"]
            case .pairs: arguments += ["--score-run", "1", "--name", step.pairSet ?? "x"] + (step.usesEfficiency ? ["--efficiency-run", "1"] : [])
            case .export: arguments += ["--pair-set", step.pairSet ?? "x"]
            default: break
            }
            do {
                _ = try CodeDPOCommand.parseAsRoot(arguments + ["--db", database])
            } catch {
                throw ValidationError("\(step.location): \(CodeDPOCommand.message(for: error)) (the step is `codedpo \(arguments.joined(separator: " "))`)")
            }
        }
    }

    func run() async throws {
        for (index, step) in config.steps.enumerated() {
            let label = "[\(index + 1)/\(config.steps.count)] \(step.location.split(separator: " ").last.map(String.init) ?? step.stage.rawValue)"
            let start = Date()
            do {
                var outcome = try await perform(step)
                outcome.stage = label
                outcome.seconds = Date().timeIntervalSince(start)
                outcomes.append(outcome)
                FileHandle.standardError.write(Data("\(label) \(outcome.status == "ran" ? "" : "(\(outcome.status)) ")\(outcome.detail)  [\(String(format: "%.1f", outcome.seconds)) s]\n".utf8))
            } catch {
                let message = (error as? ValidationError).map(\.message) ?? CodeDPOCommand.message(for: error)
                throw StoreError("\(step.location) failed: \(message)\nFix it and run the same command again: finished steps are kept and skipped.")
            }
        }
    }

    // MARK: steps

    private func perform(_ step: PipelineStep) async throws -> Outcome {
        switch step.stage {
        case .import, .generate, .execute, .report:
            try await invoke(step.arguments)
            return Outcome(stage: "", status: "ran", detail: try summary(of: step), seconds: 0)
        case .score:
            return try await score(step)
        case .eval:
            let runs = scoreRunOrder.isEmpty ? [] : scoreRunOrder.flatMap { ["--score-run", String($0)] }
            try await invoke(step.arguments + runs, showOutput: true)
            return Outcome(stage: "", status: "ran", detail: "evaluated \(scoreRunOrder.isEmpty ? "every" : String(scoreRunOrder.count)) score run(s) against ground truth", seconds: 0)
        case .efficiency:
            let scoreRun = try reference(step)
            let arguments = step.arguments + ["--score-run", String(scoreRun)]
            let command = try EfficiencyRun.parse(Array(arguments.dropFirst()) + ["--db", database])
            let parameters = command.options().json
            if let existing = try state { try $0.efficiencyRun(scoreRun: scoreRun, parameters: parameters) } {
                efficiencyRun = existing
                return Outcome(stage: "", status: "up to date", detail: "efficiency run \(existing) of score run \(scoreRun)", seconds: 0)
            }
            try await invoke(arguments)
            efficiencyRun = try state { try $0.efficiencyRun(scoreRun: scoreRun, parameters: parameters) }
            return Outcome(stage: "", status: "ran", detail: try efficiencySummary(), seconds: 0)
        case .pairs:
            let scoreRun = try reference(step)
            var arguments = step.arguments + ["--score-run", String(scoreRun)]
            if step.usesEfficiency {
                guard let efficiencyRun else { throw StoreError("no efficiency run to take speed pairs from (the efficiency step made none)") }
                arguments += ["--efficiency-run", String(efficiencyRun)]
            }
            let wanted = step.pairSet ?? "pairs"
            let policy = try PairsBuild.parse(Array(arguments.dropFirst()) + ["--name", wanted, "--db", database]).policy().json
            let (name, exists) = try state { try $0.pairSetName(wanted, scoreRun: scoreRun, efficiencyRun: step.usesEfficiency ? efficiencyRun : nil, policy: policy) }
            pairSet = name
            if exists { return Outcome(stage: "", status: "up to date", detail: try pairsSummary(name), seconds: 0) }
            if name != wanted { Terminal.note("pair set \"\(wanted)\" exists and was built from other inputs: this one is \"\(name)\"") }
            try await invoke(arguments + ["--name", name])
            return Outcome(stage: "", status: "ran", detail: try pairsSummary(name), seconds: 0)
        case .export:
            guard let set = step.pairSet ?? pairSet else { throw StoreError("no pair set to export") }
            let arguments = step.arguments + ["--pair-set", set]
            let command = try ExportCommand.parse(Array(arguments.dropFirst()) + ["--db", database])
            let format = command.format.rawValue, out = command.out ?? command.hub ?? ""
            if command.split == nil, command.out != nil, try state({ try $0.exportIsCurrent(pairSet: set, format: format, path: out) }) {
                return Outcome(stage: "", status: "up to date", detail: "\(format) \(out)", seconds: 0)
            }
            try await invoke(arguments)
            // The files the export just wrote (two with --split) are its run's rows.
            let rows = try state { try $0.db.int("SELECT sum(count) FROM exports WHERE run_id = (SELECT max(run_id) FROM exports)") } ?? 0
            return Outcome(stage: "", status: "ran", detail: "\(format) -> \(out) (\(rows) rows, every line re-read and checked; manifest beside it)", seconds: 0)
        }
    }

    private func score(_ step: PipelineStep) async throws -> Outcome {
        let command = try ScoreCommand.parse(Array(step.arguments.dropFirst()) + ["--db", database])
        let strategies = try command.strategies()
        func existing() throws -> [Int64]? {
            try state { state in
                guard let config = try state.scoringConfig(explicit: command.config) else { return nil }
                let ids = try strategies.map { try state.scoreRun(strategy: $0.name, parameters: $0.parameters, config: config) }
                return ids.contains(nil) ? nil : ids.compactMap { $0 }
            }
        }
        var status = "up to date"
        var ids = try existing()
        if ids == nil {
            try await invoke(step.arguments)
            ids = try existing()
            status = "ran"
        }
        guard let ids else { throw StoreError("the score runs it made were not found") }
        for (strategy, id) in zip(strategies, ids) {
            if scoreRuns[strategy.name] == nil { scoreRuns[strategy.name] = id }
            if !scoreRunOrder.contains(id) { scoreRunOrder.append(id) }
        }
        if let name = step.name, let first = ids.first { scoreRuns[name] = first }
        let detail = zip(strategies, ids).map { "\($0.name) = score run \($1)" }.joined(separator: ", ")
        return Outcome(stage: "", status: status, detail: detail, seconds: 0)
    }

    private func reference(_ step: PipelineStep) throws -> Int64 {
        guard let ref = step.scoreRef, let id = scoreRuns[ref] else {
            throw StoreError("no score run for \"\(step.scoreRef ?? "")\": put its score step before this one")
        }
        return id
    }

    // MARK: running commands

    /// Runs `codedpo ARGUMENTS --db DB` in this process, as the stand-alone command would.
    private func invoke(_ arguments: [String], showOutput: Bool = false) async throws {
        let full = arguments + ["--db", database]
        Invocation.arguments = ["codedpo"] + full
        defer { Invocation.arguments = CommandLine.arguments }
        if verbose { FileHandle.standardError.write(Data("$ codedpo \(full.joined(separator: " "))\n".utf8)) }
        let silence = !verbose && !showOutput
        let saved = silence ? Self.silenceStandardOutput() : -1
        Terminal.quietNotes = silence
        defer {
            if saved >= 0 { Self.restoreStandardOutput(saved) }
            Terminal.quietNotes = false
        }
        var command = try CodeDPOCommand.parseAsRoot(full)
        if var asyncCommand = command as? AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    }

    private static func silenceStandardOutput() -> Int32 {
        fflush(stdout)
        let saved = dup(STDOUT_FILENO)
        let null = open("/dev/null", O_WRONLY)
        dup2(null, STDOUT_FILENO)
        close(null)
        return saved
    }

    private static func restoreStandardOutput(_ saved: Int32) {
        fflush(stdout)
        dup2(saved, STDOUT_FILENO)
        close(saved)
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
                    SELECT (SELECT count(*) FROM problems), (SELECT count(*) FROM solutions), (SELECT coalesce(sum(sample_count), 0) FROM solutions),
                           (SELECT count(*) FROM tests WHERE kind = 'generated'), (SELECT count(*) FROM tests WHERE kind = 'ground_truth')
                    """)[0]
                return "\(step.arguments.dropFirst().first ?? ""): database now holds \(row[0].int64!) problems, \(row[1].int64!) solutions (\(row[2].int64!) samples), \(row[3].int64!) generated + \(row[4].int64!) ground-truth tests"
            case .execute:
                let counts = try db.rows("SELECT status, count(*) FROM executions GROUP BY status ORDER BY count(*) DESC")
                let total = counts.reduce(Int64(0)) { $0 + $1[1].int64! }
                return "\(total) verdicts: " + counts.map { "\($0[1].int64!) \($0[0].string!)" }.joined(separator: ", ")
            case .report:
                let out = step.arguments.firstIndex(of: "--out").map { step.arguments[$0 + 1] } ?? "report.html"
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
