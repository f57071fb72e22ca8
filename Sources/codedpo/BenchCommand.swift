import ArgumentParser
import CodeDPOKit
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure codedpo against its baselines, side by side in one run.",
        discussion: """
            Run on a release build (swift build -c release): debug builds are many times slower. \
            The machine may be shared, so each benchmark measures its baseline in the same run and \
            prints both.

            Examples:
              .build/release/codedpo bench store
              .build/release/codedpo bench store --rows 200000 --format json
            """,
        subcommands: [StoreBench.self]
    )
}

struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Bulk insert: the store's prepared-statement path against a bare C-API loop.",
        discussion: "Target: the store reaches at least half of the bare loop's rows/s."
    )

    @Option(name: .long, help: "Rows to insert per measurement.")
    var rows = 1_000_000

    @Option(name: .long, help: "Measurements per path; the best is reported.")
    var rounds = 3

    @OptionGroup var output: FormatOptions

    func run() throws {
        let result = try StoreBenchmark(rows: rows, rounds: rounds).run()
        let writer = RowWriter(format: output.format, columns: ["path", "rows", "seconds", "rows_per_s"], sink: StandardOutput())
        writer.add([.text("bare C API loop"), .integer(Int64(rows)), .real(result.bareSeconds), .real(result.bareRowsPerSecond.rounded())])
        writer.add([.text("store (Statement)"), .integer(Int64(rows)), .real(result.storeSeconds), .real(result.storeRowsPerSecond.rounded())])
        writer.finish()
        if output.format == .table {
            print(String(format: "store / bare = %.2f (target >= 0.50): %@", result.ratio, result.ratio >= 0.5 ? "ok" : "BELOW TARGET"))
        }
    }
}
