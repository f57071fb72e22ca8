import ArgumentParser
import CodeDPOKit
import Foundation

@main
struct CodeDPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codedpo",
        abstract: "Build code-preference (DPO) training data from code, tests and their execution, in one SQLite file.",
        discussion: """
            Every seed, problem, solution, test, verdict, score, timing, pair and export is a row in one \
            SQLite database (--db, or $CODEDPO_DB, default codedpo.db). Stages talk through it: each \
            command reads what earlier ones wrote and adds rows, so any stage can be re-run alone and \
            every intermediate result can be queried with SQL.

            Start here:
              codedpo demo                         # every stage on a built-in dataset
              codedpo run --config pipeline.json   # a whole pipeline from one file
              codedpo init --db work.db
              codedpo stats --db work.db
              codedpo query "SELECT * FROM problem_summary LIMIT 5" --db work.db
            """,
        version: CodeDPO.version,
        subcommands: [
            DemoCommand.self, RunCommand.self, InitCommand.self, MigrateCommand.self, ImportCommand.self, GenerateCommand.self, ExecuteCommand.self, ScoreCommand.self, ScoreRunsCommand.self, ScoresCommand.self, CompareCommand.self, EvalGroupCommand.self, DecontaminateCommand.self, EfficiencyCommand.self, PairsCommand.self, ExportCommand.self, StatsCommand.self, RunsCommand.self, QueryCommand.self,
            ReportCommand.self, MergeCommand.self, BenchCommand.self,
        ]
    )

    /// Exit codes as documented: 0 ok, 1 failure, 2 usage.
    static func main() async {
        PeakMemory.recordAtExitIfAsked()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version arrive as errors that print to stdout.
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if code == .validationFailure || error is ValidationError || error is CleanExit {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
            if let usage = error as? UsageError {
                FileHandle.standardError.write(Data(("error: " + usage.message + "\n").utf8))
                Foundation.exit(2)
            }
            if error is Interrupted { Foundation.exit(130) }
            let message = String(describing: error)
            FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
            Foundation.exit(1)
        }
    }
}
