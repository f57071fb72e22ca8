import ArgumentParser
import CodeDPOKit
import Foundation

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run SQL against the database and print the rows.",
        discussion: """
            The database is opened read-only unless --write is given; a statement that would change \
            data is refused before anything runs. Named parameters (:name, @name, $name) take their \
            values from --param name=value (an integer binds as an integer, anything else as text). \
            Several statements separated by ';' run in order. Tables and views are documented in \
            schema/schema.sql.

            Examples:
              codedpo query "SELECT * FROM problem_summary"
              codedpo query "SELECT status, count(*) FROM executions GROUP BY status" --format json
              codedpo query "SELECT code FROM solutions WHERE problem_id = :p" --param p=3 --format jsonl
              codedpo query "SELECT * FROM solution_ranking WHERE score_run_id = 2 AND rank = 1" --format csv > top.csv
              codedpo query "DELETE FROM exports WHERE id = 4" --write
              echo "SELECT count(*) FROM tests" | codedpo query -
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: FormatOptions

    @Argument(help: "The SQL to run, or - to read it from standard input.")
    var sql: String

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A named parameter, NAME=VALUE (repeatable).", valueName: "name=value"))
    var param: [String] = []

    @Flag(name: .long, help: "Allow statements that change data (recorded in runs).")
    var write = false

    @Option(name: .long, help: "Cut table cells longer than this many characters (0: never).")
    var maxWidth = 60

    func run() throws {
        let text: String
        if sql == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            text = sql
        }
        let parameters = try QueryRunner.parameters(param)
        let sink = StandardOutput()
        if write {
            let db = try database.openForWriting()
            let json = JSON.object([("sql", .string(text)), ("parameters", JSON(param))])
            let result = try RunLog(db).record(command: "query", argv: CommandLine.arguments, parameters: json,
                                               summary: { .object([("rows", .int(Int64($0.rows))), ("changes", .int(Int64($0.changes)))]) }) { _ in
                try db.transaction {
                    try QueryRunner(db: db, allowWrites: true).run(text, parameters: parameters, format: output.format,
                                                                   sink: sink, maxWidth: maxWidth)
                }
            }
            if result.changes > 0 || result.rows == 0 {
                Terminal.note("\(result.changes) row(s) changed")
            }
        } else {
            let db = try database.openForReading()
            try QueryRunner(db: db, allowWrites: false).run(text, parameters: parameters, format: output.format,
                                                            sink: sink, maxWidth: maxWidth)
        }
    }
}
