import ArgumentParser
import CodeDPOKit
import Foundation

struct ScaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Every stage after execute on a synthetic database of N problems x 15 solutions x 15 tests.",
        discussion: """
            Builds the database through the real import path plus synthetic verdicts, then runs each \
            stage (every score strategy, eval, pairs, every export format, report, stats, the \
            one-problem views, an execute with nothing to do, merge) as a child process of this \
            binary, with its time and its own peak RSS, beside the raw SQLite cost of writing the same \
            rows where a target compares with it. Needs about 40 MB of disk per 1,000 problems (twice \
            that during merge); everything is deleted afterwards unless --keep.

            Targets at 20,000 problems: every stage under 200 MB; report under 5 s; one-problem \
            views under 0.1 s; score (self-validation) within 2x and pairs and merge within 3x of \
            their raw rows. Larger: under 500 MB, time linear (compare two runs with --compare). \
            Time targets are held to each stage's CPU time (user + system, from wait4), since on a \
            shared machine wall time also counts waiting for a core; ratios to raw compare wall \
            times measured in the same run.

            Examples:
              .build/release/codedpo bench scale --problems 20000
              .build/release/codedpo bench scale --problems 20000 --format json > scale-20k.json
              .build/release/codedpo bench scale --problems 100000 --compare scale-20k.json
            """
    )

    @Option(name: .long, help: "Problems in the synthetic database.")
    var problems = 20_000

    @Option(name: .long, help: "Folder for the databases and outputs (default: a new one under the temporary folder).")
    var dir: String?

    @Option(name: .long, help: "A JSON result of an earlier run (--format json): print both sizes' per-verdict costs side by side.")
    var compare: String?

    @Flag(name: .long, help: "Keep the database and outputs.")
    var keep = false

    @OptionGroup var output: FormatOptions

    func validate() throws {
        if problems < 10 { throw ValidationError("--problems must be at least 10") }
    }

    func run() throws {
        let directory = dir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("codedpo-scale-\(ProcessInfo.processInfo.processIdentifier)")
        let earlier = try compare.map { path -> JSON in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read --compare \(path)") }
            return try JSON.parse(text)
        }
        // Every strategy and format the CLI knows, so a new one is benchmarked without an edit here.
        let benchmark = ScaleBenchmark(problems: problems, executable: ChildProcess.currentExecutable, directory: directory,
                                       strategies: StrategyName.allCases.map(\.rawValue))
        defer {
            if !keep {
                benchmark.removeDatabase(directory.appendingPathComponent("scale-\(problems).db").path)
                try? FileManager.default.removeItem(at: directory)
            }
        }
        let result = try benchmark.run(progress: { Terminal.note($0) })
        switch output.format {
        case .json: print(result.json.prettyText)
        case .jsonl: print(result.json.text)
        case .table, .csv: printTable(result, earlier: earlier)
        }
    }

    func printTable(_ result: ScaleBenchmark.Result, earlier: JSON?) {
        let sink = StandardOutput()
        let earlierCosts = Dictionary((earlier?["stages"]?.arrayValue ?? []).compactMap { stage -> (String, Double)? in
            guard let name = stage["stage"]?.stringValue, let cost = stage["cpu_us_per_verdict"]?.doubleValue else { return nil }
            return (name, cost)
        }, uniquingKeysWith: { a, _ in a })
        let earlierProblems = earlier?["problems"]?.intValue
        var columns = ["stage", "wall_s", "cpu_s", "peak_rss_mb", "rows", "raw_s", "x_raw", "cpu_us_per_verdict"]
        if let earlierProblems { columns += ["at_\(earlierProblems)", "growth"] }
        columns += ["target", "ok"]
        let writer = RowWriter(format: output.format, columns: columns, sink: sink)
        for m in result.measurements {
            let cost = m.cpuSeconds / Double(max(result.verdicts, 1)) * 1e6
            var row: [SQLValue] = [.text(m.stage), .text(String(format: "%.3f", m.seconds)), .text(String(format: "%.3f", m.cpuSeconds)),
                                   .text(String(format: "%.0f", m.peakRSSMB)),
                                   m.rows.map { .integer(Int64($0)) } ?? .null, m.rawSeconds.map { .text(String(format: "%.2f", $0)) } ?? .null,
                                   m.ratio.map { .text(String(format: "%.2f", $0)) } ?? .null, .text(String(format: "%.3f", cost))]
            if earlierProblems != nil {
                let before = earlierCosts[m.stage]
                row += [before.map { .text(String(format: "%.3f", $0)) } ?? .null,
                        before.map { .text(String(format: "%.2f", cost / max($0, 1e-12))) } ?? .null]
            }
            row += [.text(m.targetText), .text(m.ok ? "ok" : "MISSED")]
            writer.add(row)
        }
        writer.finish()
        if output.format == .table {
            let missed = result.measurements.filter { !$0.ok }.count
            sink.write(String(format: "%d problems, %d verdicts, %.0f MB database (import %.1f s, verdict insert %.1f s); %@\n",
                              result.problems, result.verdicts, result.databaseMB, result.importSeconds, result.verdictSeconds,
                              missed == 0 ? "every target met" : "\(missed) target(s) missed"))
            if let earlierProblems {
                sink.write("growth: CPU cost per verdict here / at \(earlierProblems) problems (1.0 = linear)\n")
            }
        }
        sink.flush()
    }
}
