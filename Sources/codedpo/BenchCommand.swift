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
              .build/release/codedpo bench import
              .build/release/codedpo bench score
              .build/release/codedpo bench scale --problems 20000
            """,
        subcommands: [StoreBench.self, ImportBench.self, ScoreBench.self, ScaleBench.self]
    )
}

struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Bulk insert: the store's prepared-statement path against a bare C-API loop.",
        discussion: """
            Target: the store reaches at least half of the bare loop's rows/s.

            Examples:
              .build/release/codedpo bench store
              .build/release/codedpo bench store --rows 100000 --rounds 1 --format json
            """
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

struct ImportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import N generated solution lines against the store's raw bulk-insert rate.",
        discussion: """
            Target: the import takes at most 3x the time the store takes to insert the same solution \
            rows into the same table (hashes precomputed, no parsing, no provenance).

            Examples:
              .build/release/codedpo bench import
              .build/release/codedpo bench import --lines 100000 --format json
            """
    )

    @Option(name: .long, help: "Solution lines to generate and import.")
    var lines = 1_000_000

    @OptionGroup var output: FormatOptions

    func run() throws {
        let result = try ImportBenchmark(lines: lines).run()
        let writer = RowWriter(format: output.format, columns: ["path", "rows", "seconds", "rows_per_s"], sink: StandardOutput())
        writer.add([.text("store, plain table (context)"), .integer(Int64(lines)), .real(result.plainSeconds), .real(result.plainRowsPerSecond.rounded())])
        writer.add([.text("store, same rows into solutions"), .integer(Int64(lines)), .real(result.rawSeconds), .real(result.rawRowsPerSecond.rounded())])
        writer.add([.text("codedpo import (JSONL)"), .integer(Int64(lines)), .real(result.importSeconds), .real(result.importLinesPerSecond.rounded())])
        writer.finish()
        if output.format == .table {
            print(String(format: "import / raw time = %.2fx (target <= 3.0): %@", result.slowdown, result.slowdown <= 3 ? "ok" : "ABOVE TARGET"))
            print(String(format: "input %.0f MB; peak RSS %.0f MB before the import, %.0f MB after", Double(result.fileBytes) / 1e6,
                         Double(result.peakRSSBeforeKB) / 1024, Double(result.peakRSSAfterKB) / 1024))
        }
    }
}

struct ScoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score ~1,000,000 verdicts with self-validation against raw inserts of the same score rows.",
        discussion: """
            Target: scoring (loading verdicts, 10 iterations, every iteration stored) takes at most \
            2x the raw insert time.

            Examples:
              .build/release/codedpo bench score
              .build/release/codedpo bench score --verdicts 100000 --format json
            """
    )

    @Option(name: .long, help: "Verdicts to generate and score.")
    var verdicts = 1_000_000

    @OptionGroup var output: FormatOptions

    func run() throws {
        let result = try ScoreBenchmark(verdicts: verdicts).run()
        let writer = RowWriter(format: output.format, columns: ["path", "verdicts", "score_rows", "seconds", "rows_per_s"], sink: StandardOutput())
        writer.add([.text("raw insert of the score rows (store)"), .null, .integer(Int64(result.scoreRows)), .real(result.rawSeconds), .real((Double(result.scoreRows) / result.rawSeconds).rounded())])
        writer.add([.text("codedpo score, self-validation x10"), .integer(Int64(result.verdicts)), .integer(Int64(result.scoreRows)), .real(result.scoreSeconds), .real((Double(result.scoreRows) / result.scoreSeconds).rounded())])
        writer.finish()
        if output.format == .table {
            print(String(format: "score / raw time = %.2fx (target <= 2.0): %@", result.ratio, result.ratio <= 2 ? "ok" : "ABOVE TARGET"))
        }
    }
}
