import ArgumentParser
import CodeDPOKit
import Foundation

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "How much two score runs agree, and which ranks better: top-1 agreement, correlations, top-1 difference.",
        discussion: """
            Per problem: does the first solution of run A rank first in run B too, and how do the \
            two score vectors correlate; averaged over the problems both scored. When both runs \
            have every ground-truth verdict (`codedpo eval` runs them), also each run's top-1 pass \
            rate and their paired difference (A - B) with a bootstrap 95% interval over the \
            problems (--resamples, --seed): "not distinguishable" when it contains 0.

            Examples:
              codedpo compare 1 2
              codedpo compare 1 2 --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The first score run.") var first: Int64
    @Argument(help: "The second score run.") var second: Int64
    @Option(name: .long, help: "Bootstrap resamples for the interval of the top-1 difference.") var resamples = 10_000
    @Option(name: .long, help: "Seed of the bootstrap (same seed, same interval).") var seed: UInt64 = 0
    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard resamples >= 100 && resamples <= 1_000_000 else { throw ValidationError("--resamples takes 100 to 1000000, e.g. 10000") }
    }

    func run() throws {
        let db = try database.openForReading()
        let result = try Comparison.compare(db, first, second, bootstrap: Bootstrap(resamples: resamples, seed: seed))
        let writer = RowWriter(format: output.format, columns: ["score_runs", "problems", "top1_agreement", "spearman", "kendall_tau_b",
                                                                 "top1_first", "top1_second", "top1_difference", "low", "high", "verdict"], sink: StandardOutput())
        let interval = result.topDifference?.interval
        writer.add([.text("\(first) vs \(second)"), .integer(Int64(result.problems)), .real(result.topAgreement),
                    result.spearman.map { .real($0) } ?? .null, result.kendall.map { .real($0) } ?? .null,
                    result.topPassRates.map { .real($0.first) } ?? .null, result.topPassRates.map { .real($0.second) } ?? .null,
                    interval.map { .real($0.difference) } ?? .null, interval.map { .real($0.low) } ?? .null, interval.map { .real($0.high) } ?? .null,
                    .text(interval?.verdict("score run \(first)", "score run \(second)") ?? "no ground truth")])
        writer.finish()
        if result.topDifference == nil {
            Terminal.note("no top-1 difference: run `codedpo eval --score-run \(first) --score-run \(second)` first to execute the ground-truth tests")
        }
    }
}
