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
              top1_mixed        top1_pass_rate over the mixed_problems: those with some correct
                                and some incorrect samples (the B4 paper's figure)
              spearman          rank correlation of score and correctness (problems where both vary)
              pair_precision    top-vs-bottom pairs with the chosen correct and the rejected not
            With two or more runs, every pair of runs follows: the paired difference of top-1 \
            over the problems both scored, with a bootstrap 95% interval (problems resampled, \
            --resamples, --seed), and "not distinguishable" when the interval contains 0 \
            (in JSON: each run's `differences`).

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

    @Option(name: .long, help: "Bootstrap resamples for the intervals of paired differences.")
    var resamples = 10_000

    @Option(name: .long, help: "Seed of the bootstrap (same seed, same intervals).")
    var seed: UInt64 = 0

    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard resamples >= 100 && resamples <= 1_000_000 else { throw ValidationError("--resamples takes 100 to 1000000, e.g. 10000") }
    }

    func run() throws {
        var request = EvalRequest()
        request.scoreRuns = scoreRun
        request.noExecute = noExecute
        request.jobs = jobs
        let interrupt = InterruptFlag()
        interrupt.install()
        let progress = ProgressLine()
        let reports: [EvaluationReport]
        do {
            reports = try request.run(database: database.path, argv: CommandLine.arguments, note: { progress.finish(); Terminal.note($0) }, progress: { state in
                progress.update("\(ProgressLine.bar(Double(state.done) / Double(max(state.planned, 1)))) \(state.done)/\(state.planned) ground-truth verdicts", elapsed: state.elapsed)
            }, shouldStop: { interrupt.isSet })
        } catch is Interrupted {
            progress.finish()
            throw ExitCode(130)
        }
        progress.finish()
        Self.printTable(reports, format: output.format, bootstrap: Bootstrap(resamples: resamples, seed: seed))
        if let skipped = reports.first?.problemsWithoutGroundTruth, skipped > 0 {
            Terminal.note("\(skipped) scored problem(s) have no ground-truth tests and are not counted")
        }
        if noExecute, let missing = reports.map(\.missingGroundTruthVerdicts).max(), missing > 0 {
            Terminal.note("\(missing) ground-truth verdicts are missing (read as not passing): drop --no-execute to run them")
        }
    }

    /// The tables of `codedpo eval` (also what `run --config` shows for its eval step): the runs,
    /// then every pair's top-1 difference with its bootstrap interval (in JSON, each run's
    /// `differences`; CSV has the first table only).
    static func printTable(_ reports: [EvaluationReport], format: OutputFormat, bootstrap: Bootstrap = Bootstrap()) {
        let differences = TopPassRateDifference.all(reports, bootstrap: bootstrap)
        let structured = format == .json || format == .jsonl
        let writer = RowWriter(format: format, columns: ["score_run", "strategy", "parameters", "problems", "top1_pass_rate", "top1_mixed", "mixed_problems",
                                                          "random_pass_rate", "spearman", "pair_precision", "pair_problems"] + (structured ? ["differences"] : []),
                               sink: StandardOutput(), maxWidth: 60)
        for report in reports {
            let mine = differences.filter { $0.first == report.scoreRunID || $0.second == report.scoreRunID }
            writer.add([.int(report.scoreRunID), .string(report.strategy), .string(report.parameters.text), .int(Int64(report.problems)),
                        .double(report.topPassRate), JSON(report.topPassRateMixed), .int(Int64(report.mixedProblems)), .double(report.randomPassRate),
                        JSON(report.spearman), JSON(report.pairPrecision), .int(Int64(report.pairProblems))]
                       + (structured ? [.array(mine.map(\.json))] : []))
        }
        writer.finish()
        guard format == .table && !differences.isEmpty else { return }
        let sink = StandardOutput()
        sink.write("\nPaired differences of top-1 (95% bootstrap interval, \(bootstrap.resamples) resamples of the problems, seed \(bootstrap.seed))\n")
        let table = RowWriter(format: .table, columns: ["score_run", "strategy", "versus", "versus_strategy", "problems", "top1_difference", "low", "high", "verdict"], sink: sink)
        for difference in differences {
            table.add([.integer(difference.first), .text(difference.firstStrategy), .integer(difference.second), .text(difference.secondStrategy),
                       .integer(Int64(difference.interval.problems)), .real(difference.interval.difference),
                       .real(difference.interval.low), .real(difference.interval.high), .text(difference.verdict)])
        }
        table.finish()
    }
}
