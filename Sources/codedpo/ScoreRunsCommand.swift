import ArgumentParser
import CodeDPOKit
import Foundation

struct ScoreRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score-runs",
        abstract: "List the score runs.",
        discussion: """
            Examples:
              codedpo score-runs
              codedpo score-runs --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let db = try database.openForReading()
        let statement = try db.prepare("""
            SELECT id AS score_run, strategy, parameters, config_id AS config, test_kind, final_iteration,
                   problems_scored AS problems, run_id AS run, created_at
            FROM score_runs ORDER BY id
            """)
        let writer = RowWriter(format: output.format, columns: statement.columnNames, sink: StandardOutput(), maxWidth: 70)
        try statement.forEachRow { row in writer.add((0..<row.columnCount).map { row.value(at: $0) }) }
        writer.finish()
    }
}
