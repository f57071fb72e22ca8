import ArgumentParser
import CodeDPOKit
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
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
        Self.printTable(reports, format: output.format)
        if let skipped = reports.first?.problemsWithoutGroundTruth, skipped > 0 {
            Terminal.note("\(skipped) scored problem(s) have no ground-truth tests and are not counted")
        }
        if noExecute, let missing = reports.map(\.missingGroundTruthVerdicts).max(), missing > 0 {
            Terminal.note("\(missing) ground-truth verdicts are missing (read as not passing): drop --no-execute to run them")
        }
    }

    /// The table of `codedpo eval` (also what `run --config` shows for its eval step).
    static func printTable(_ reports: [EvaluationReport], format: OutputFormat) {
        let writer = RowWriter(format: format, columns: ["score_run", "strategy", "parameters", "problems", "top1_pass_rate", "random_pass_rate", "spearman", "pair_precision", "pair_problems"],
                               sink: StandardOutput(), maxWidth: 60)
        for report in reports {
            writer.add([.integer(report.scoreRunID), .text(report.strategy), .text(report.parameters.text), .integer(Int64(report.problems)),
                        .real(report.topPassRate), .real(report.randomPassRate), report.spearman.map { .real($0) } ?? .null,
                        report.pairPrecision.map { .real($0) } ?? .null, .integer(Int64(report.pairProblems))])
        }
        writer.finish()
    }
}
