import ArgumentParser
import CodeDPOKit
import Foundation

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Show applied and pending schema migrations, and apply the pending ones.",
        discussion: """
            Migrations are the numbered files in migrations/, compiled into this binary. Each is \
            applied in its own transaction and recorded with its checksum in schema_migrations. \
            A database made by a newer codedpo, or whose applied migration was edited, is refused.

            Examples:
              codedpo migrate --db work.db            # apply what is pending, then list all
              codedpo migrate --status --db work.db   # only list
              codedpo migrate --status --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: FormatOptions

    @Flag(name: .long, help: "Only show the status; apply nothing.")
    var status = false

    func run() throws {
        try Workspace.requireFile(database.path)
        let migrator = Migrator()
        let db = try Database(path: database.path, mode: status ? .readOnly : .readWrite)
        try migrator.verify(db)
        if !status {
            let applied = try migrator.migrate(db)
            if !applied.isEmpty {
                // The runs table may itself be new, so the run is recorded once it exists.
                let log = RunLog(db)
                let runID = try log.start(command: "migrate", argv: CommandLine.arguments,
                                          parameters: ["applied": JSON(applied.map(\.name))])
                try log.finish(runID, status: .ok)
                Terminal.note("applied \(applied.count) migration(s): \(applied.map(\.name).joined(separator: ", "))")
            }
        }
        let writer = RowWriter(format: output.format, columns: ["version", "name", "state", "applied_at"],
                               sink: StandardOutput())
        for entry in try migrator.status(of: db) {
            writer.add([.integer(Int64(entry.version)), .text(entry.name), .text(entry.state.rawValue),
                        entry.appliedAt.map { .text($0) } ?? .null])
        }
        writer.finish()
    }
}
