import ArgumentParser
import CodeDPOKit
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new codedpo database, or bring an existing one up to date.",
        discussion: """
            Creates the file with every table of the pipeline (see schema/schema.sql) and records \
            the migrations applied. Safe to run again: an up-to-date database is left as it is.

            Examples:
              codedpo init                      # ./codedpo.db
              codedpo init --db runs/humaneval.db
              CODEDPO_DB=work.db codedpo init
            """
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let path = database.path
        let existed = FileManager.default.fileExists(atPath: path)
        let (db, applied) = try Workspace.initialize(path: path)
        if !applied.isEmpty {
            let runID = try RunLog(db).start(command: "init", argv: CommandLine.arguments,
                                             parameters: ["applied": JSON(applied.map(\.name))])
            try RunLog(db).finish(runID, status: .ok)
        }
        let version = try db.int("PRAGMA user_version") ?? 0
        let tables = try db.tableNames().count
        if applied.isEmpty {
            print("\(path) is already initialized (schema version \(version), \(tables) tables).")
        } else {
            print("\(existed ? "Upgraded" : "Created") \(path): schema version \(version), \(tables) tables, \(applied.count) migration(s) applied.")
            print("Next: import data with `codedpo import`, or look around with `codedpo stats --db \(path)`.")
        }
    }
}
