import ArgumentParser
import CodeDPOKit
import Foundation

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count rows per table and per status.",
        discussion: """
            Examples:
              codedpo stats --db work.db
              codedpo stats --format json | jq '.breakdowns["executions.status"]'
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let db = try database.openForReading()
        let stats = try Stats.collect(db)
        let sink = StandardOutput()
        switch output.format {
        case .json:
            sink.write(stats.json.prettyText + "\n")
        case .jsonl:
            sink.write(stats.json.text + "\n")
        case .csv, .table:
            let writer = RowWriter(format: output.format, columns: ["table", "column", "value", "rows"], sink: sink)
            for table in stats.tables {
                writer.add([.text(table.name), .null, .null, .integer(Int64(table.rows))])
            }
            for breakdown in stats.breakdowns {
                for entry in breakdown.counts {
                    writer.add([.text(breakdown.table), .text(breakdown.column), .text(entry.value),
                                .integer(Int64(entry.rows))])
                }
            }
            writer.finish()
        }
        sink.flush()
    }
}
