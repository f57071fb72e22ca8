import ArgumentParser
import CodeDPOKit
import Foundation

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the recorded runs: every command that changed data.",
        discussion: """
            Each run records its command line, parameters, tool version, start and end, status \
            (running, ok, failed, interrupted) and error; rows it produced carry its id in run_id.

            Examples:
              codedpo runs --db work.db
              codedpo runs --status failed --format json
              codedpo query "SELECT count(*) FROM solutions WHERE run_id = :run" --param run=3
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: FormatOptions

    @Option(name: .long, help: "Show at most this many runs, newest first.")
    var limit = 50

    @Option(name: .long, help: "Only runs with this status (running, ok, failed, interrupted).")
    var status: String?

    @Option(name: .long, help: "Only runs of this command (import, execute, ...).")
    var command: String?

    func validate() throws {
        if let status, RunStatus(rawValue: status) == nil {
            throw ValidationError("--status must be one of: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let db = try database.openForReading()
        let statement = try db.prepare("""
            SELECT id, command, status, started_at,
                   round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3) AS duration_s,
                   error, argv, parameters, summary, tool_version
            FROM runs
            WHERE (:status IS NULL OR status = :status) AND (:command IS NULL OR command = :command)
            ORDER BY id DESC
            LIMIT :limit
            """)
        try statement.bind(named: ["status": status.map { .text($0) } ?? .null,
                                   "command": command.map { .text($0) } ?? .null,
                                   "limit": .integer(Int64(limit))])
        let writer = RowWriter(format: output.format, columns: statement.columnNames, sink: StandardOutput())
        try statement.forEachRow { row in writer.add((0..<row.columnCount).map { row.value(at: $0) }) }
        writer.finish()
    }
}
