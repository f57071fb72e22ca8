import ArgumentParser
import CodeDPOKit
import Foundation

/// `--db`, on every command.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Database file.", discussion: "Default: $CODEDPO_DB, else codedpo.db.", valueName: "path"))
    var db: String?

    var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["CODEDPO_DB"], !env.isEmpty { return env }
        return "codedpo.db"
    }

    func openForWriting() throws -> Database {
        try Workspace.openForWriting(path: path) { Terminal.note($0) }
    }

    func openForReading() throws -> Database {
        try Workspace.openForReading(path: path)
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// `--format`, on every command that lists things.
struct FormatOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table (for people), csv, json or jsonl (for scripts).")
    var format: OutputFormat = .table
}

/// Messages for people go to stderr, so stdout stays clean for scripts.
enum Terminal {
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data(("note: " + message + "\n").utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }
}

/// Runs a library request's checks inside `validate()`: its UsageError is the parser's
/// ValidationError (usage shown, exit 2).
func usage<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as UsageError {
        throw ValidationError(error.message)
    }
}
