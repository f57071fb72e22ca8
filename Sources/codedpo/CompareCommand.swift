import ArgumentParser
import CodeDPOKit
import Foundation

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "How much two score runs agree: top-1 agreement, Spearman and Kendall correlation.",
        discussion: """
            Per problem: does the first solution of run A rank first in run B too, and how do the \
            two score vectors correlate; averaged over the problems both scored.

            Examples:
              codedpo compare 1 2
              codedpo compare 1 2 --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The first score run.") var first: Int64
    @Argument(help: "The second score run.") var second: Int64
    @OptionGroup var output: FormatOptions

    func run() throws {
        let db = try database.openForReading()
        let result = try Comparison.compare(db, first, second)
        let writer = RowWriter(format: output.format, columns: ["score_runs", "problems", "top1_agreement", "spearman", "kendall_tau_b"], sink: StandardOutput())
        writer.add([.text("\(first) vs \(second)"), .integer(Int64(result.problems)), .real(result.topAgreement),
                    result.spearman.map { .real($0) } ?? .null, result.kendall.map { .real($0) } ?? .null])
        writer.finish()
    }
}
