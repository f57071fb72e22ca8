import ArgumentParser
import CodeDPOKit
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge shard databases (or any codedpo databases of the same data) into one.",
        discussion: """
            Rows are matched by content, not by id: problems by content hash, solutions and tests \
            by (problem, content hash), execution configs by their settings' hash, runs by command \
            line, start time, host and pid. Verdicts, generations, sources and timings are unioned; \
            efficiency runs that are shards of one job (same score run and parameters) become one \
            run. When both sides hold the same thing with different content (a verdict, a problem id \
            with another prompt, a pair set name) the output keeps its own and the conflict is \
            listed. Each input is merged in one transaction; merging it again adds nothing. OUT is \
            created when missing.

            Examples:
              codedpo merge merged.db base.db shard-0.db shard-1.db shard-2.db shard-3.db
              codedpo merge base.db shard-*.db                  # into the base itself
              codedpo merge all.db a.db b.db --format json      # per input: rows added, conflicts
              codedpo merge all.db a.db b.db --fail-on-conflict # exit 1 if any conflict

            A sharded job (see README, "Scale-out"):
              cp base.db shard-$I.db && codedpo execute --shard $I/4 --db shard-$I.db   # per task
              codedpo merge merged.db base.db shard-*.db && codedpo score --db merged.db
            """
    )

    @Argument(help: ArgumentHelp("The output database (created if missing).", valueName: "out"))
    var out: String

    @Argument(help: ArgumentHelp("Databases to merge into it, in order.", valueName: "in"))
    var inputs: [String] = []

    @Flag(name: .long, help: "Exit with status 1 when any input conflicts with the output (everything else is still merged).")
    var failOnConflict = false

    @OptionGroup var output: FormatOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one input database: codedpo merge OUT IN...") }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw ValidationError("no database at \(input): check the path (inputs are shard databases made by codedpo).")
        }
    }

    func run() throws {
        let db: Database
        if FileManager.default.fileExists(atPath: out) {
            db = try Workspace.openForWriting(path: out) { Terminal.note($0) }
        } else {
            db = try Workspace.initialize(path: out).0
            Terminal.note("created \(out)")
        }
        let reports = try RunLog(db).record(command: "merge", argv: CommandLine.arguments,
                                            parameters: .object([("inputs", JSON(inputs))]),
                                            summary: { .array($0.map(\.json)) }) { runID in
            try inputs.map { input in
                let report = try Merger(db: db, runID: runID).merge(path: input)
                Terminal.note("merged \(input): \(report.totalAdded) rows added, \(report.conflicts.count) conflicts (\(String(format: "%.1f", report.seconds)) s)")
                return report
            }
        }
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        let sink = StandardOutput()
        switch output.format {
        case .json:
            sink.write(JSON.array(reports.map(\.json)).prettyText + "\n")
        case .jsonl:
            for report in reports { sink.write(report.json.text + "\n") }
        case .table, .csv:
            let writer = RowWriter(format: output.format, columns: ["input", "table", "added"], sink: sink)
            for report in reports {
                for (table, rows) in report.added where rows > 0 || output.format == .csv {
                    writer.add([.text(report.input), .text(table), .integer(Int64(rows))])
                }
                if report.totalAdded == 0 && output.format == .table {
                    writer.add([.text(report.input), .text("(nothing new)"), .integer(0)])
                }
            }
            writer.finish()
        }
        sink.flush()
        let conflicts = reports.flatMap { report in report.conflicts.map { (report.input, $0) } }
        for (input, conflict) in conflicts.prefix(20) {
            Terminal.note("conflict in \(input): \(conflict.detail)")
        }
        if conflicts.count > 20 { Terminal.note("... and \(conflicts.count - 20) more conflicts (--format json lists them all)") }
        if failOnConflict && !conflicts.isEmpty {
            Terminal.error("\(conflicts.count) conflict(s); the output kept its own rows for them")
            throw ExitCode(1)
        }
    }
}
