import ArgumentParser
import CodeDPOKit
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rankings",
        abstract: "Hold score runs against ground-truth tests: how often the top-ranked solution is correct.",
        discussion: """
            A solution is correct when it passes every ground-truth test of its problem (verdicts \
            under the score run's execution config; missing ones are executed first unless \
            --no-execute). Per run, averaged over problems with ground truth:
              top1_pass_rate    expected correctness of the top-ranked solution (ties broken
                                uniformly over samples)
              random_pass_rate  expected correctness of a random sample (the baseline, pass@1)
              spearman          rank correlation of score and correctness (problems where both vary)
              pair_precision    top-vs-bottom pairs with the chosen correct and the rejected not

            Examples:
              codedpo eval                          # every score run
              codedpo eval --score-run 3 --score-run 4
              codedpo eval --format json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "A score run to evaluate (repeatable; default: all).")
    var scoreRun: [Int64] = []

    @Flag(name: .long, help: "Do not execute missing ground-truth verdicts; evaluate what exists.")
    var noExecute = false

    @Option(name: .long, help: "Worker processes when ground-truth tests must run.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var output: FormatOptions

    func run() throws {
        var db = try database.openForReading()
        let runs = scoreRun.isEmpty ? try db.rows("SELECT id FROM score_runs ORDER BY id").compactMap { $0[0].int64 } : scoreRun
        guard !runs.isEmpty else { throw StoreError("no score runs yet: run `codedpo score` first") }
        let evaluator = Evaluator(db: db)
        // Ground-truth verdicts each config still needs, run once per config.
        var configsToRun: [Int64: Int] = [:]
        for id in runs {
            let missing = try evaluator.missingGroundTruth(scoreRun: id)
            if missing > 0 { configsToRun[try evaluator.scoreRun(id).configID, default: 0] += missing }
        }
        if !configsToRun.isEmpty && !noExecute {
            let writable = try database.openForWriting()
            let interrupt = InterruptFlag()
            interrupt.install()
            for (configID, _) in configsToRun.sorted(by: { $0.key < $1.key }) {
                var options = ExecuteOptions(settings: try ExecutionSettings.load(configID: configID, from: writable))
                options.testKinds = [.groundTruth]
                options.jobs = jobs
                Terminal.note("running ground-truth tests under config \(configID) first")
                let progress = ProgressLine()
                let log = RunLog(writable)
                let runID = try log.start(command: "execute", argv: Invocation.arguments,
                                          parameters: .object([("for", "eval"), ("config_id", .int(configID)), ("tests", JSON(["ground_truth"]))]))
                let report = try Executor(db: writable, runID: runID, options: options).run(progress: { state in
                    progress.update("\(ProgressLine.bar(Double(state.done) / Double(max(state.planned, 1)))) \(state.done)/\(state.planned) ground-truth verdicts", elapsed: state.elapsed)
                }, shouldStop: { interrupt.isSet })
                progress.finish()
                try log.finish(runID, status: report.interrupted ? .interrupted : .ok, summary: report.json)
                if report.interrupted { throw ExitCode(130) }
            }
            db = try database.openForReading()
        }
        let reports = try runs.map { try Evaluator(db: db).evaluate(scoreRun: $0) }
        let writer = RowWriter(format: output.format, columns: ["score_run", "strategy", "parameters", "problems", "top1_pass_rate", "random_pass_rate", "spearman", "pair_precision", "pair_problems"],
                               sink: StandardOutput(), maxWidth: 60)
        for report in reports {
            writer.add([.integer(report.scoreRunID), .text(report.strategy), .text(report.parameters.text), .integer(Int64(report.problems)),
                        .real(report.topPassRate), .real(report.randomPassRate), report.spearman.map { .real($0) } ?? .null,
                        report.pairPrecision.map { .real($0) } ?? .null, .integer(Int64(report.pairProblems))])
        }
        writer.finish()
        if let skipped = reports.first?.problemsWithoutGroundTruth, skipped > 0 {
            Terminal.note("\(skipped) scored problem(s) have no ground-truth tests and are not counted")
        }
        if noExecute, let missing = reports.map(\.missingGroundTruthVerdicts).max(), missing > 0 {
            Terminal.note("\(missing) ground-truth verdicts are missing (read as not passing): drop --no-execute to run them")
        }
    }
}
