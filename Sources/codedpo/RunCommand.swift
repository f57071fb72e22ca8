import ArgumentParser
import CodeDPOKit
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole pipeline from one config file; run it again to resume.",
        discussion: """
            The config (JSON) names the stages to run and their parameters: each stage key holds \
            that command's flags without the dashes ("timeout": 0.5 is --timeout 0.5, true is a \
            bare flag, a list repeats the flag). import, generate, score and export take a list of \
            commands. Steps hand ids on: efficiency and pairs name a score step ("score": \
            "self-validation"), pairs "efficiency": true takes the efficiency run, export writes the \
            pairs step's set. Relative paths are relative to the config file. See \
            examples/pipeline.json and the README, "codedpo run".

            Resuming: every stage is incremental, so running the same config again finishes what a \
            killed run left and repeats nothing: import adds nothing new, generate and execute do \
            only missing work, and a score run, efficiency run, pair set or export with the same \
            inputs and parameters is reused. Change only scoring parameters and the run re-scores, \
            re-pairs and re-exports without executing anything again.

            Examples:
              codedpo run --config examples/pipeline.json
              codedpo run --config pipeline.json --db other.db      # --db overrides the config's "db"
              codedpo run --config pipeline.json --only score,pairs,export
              codedpo run --config pipeline.json --verbose           # each step's command line
              codedpo run --config pipeline.json --dry-run           # the commands, run nothing
            """
    )

    @Option(name: .long, help: "The pipeline config (JSON).") var config: String
    @Option(name: .long, help: ArgumentHelp("Database file (default: the config's \"db\", else $CODEDPO_DB, else codedpo.db).", valueName: "path"))
    var db: String?
    @Option(name: .long, help: "Only these stages (comma list: import,generate,execute,score,eval,efficiency,pairs,export,report).")
    var only: String?
    @Flag(name: .long, help: "Print each step's command line as it starts.") var verbose = false
    @Flag(name: .long, help: "Print the command each step would run, and run nothing.") var dryRun = false
    @OptionGroup var output: FormatOptions

    func run() async throws {
        var pipeline = try PipelineConfig.load(path: config)
        if let only {
            let wanted = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in wanted where PipelineStage(rawValue: name) == nil {
                throw ValidationError("--only: unknown stage \(name); the stages are \(PipelineStage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // Steps that hand ids on (score -> efficiency -> pairs -> export) still resolve:
            // skipped score steps are found, not re-run, as long as they are done.
            pipeline.steps = pipeline.steps.filter { wanted.contains($0.stage.rawValue) || [.score, .efficiency, .pairs].contains($0.stage) && dependsOn($0.stage, wanted) }
        }
        let path = db ?? pipeline.database ?? DatabaseOptions().path
        if dryRun {
            for step in pipeline.steps {
                var line = "codedpo " + step.arguments.joined(separator: " ")
                if let ref = step.scoreRef { line += " --score-run <score run of \(ref)>" }
                if step.usesEfficiency { line += " --efficiency-run <the efficiency run>" }
                if step.stage == .pairs { line += " --name \(step.pairSet ?? "")" }
                if step.stage == .export { line += " --pair-set \(step.pairSet ?? "<the pairs step's set>")" }
                print(line + " --db \(path)")
            }
            return
        }
        let runner = PipelineRunner(config: pipeline, database: path)
        try usage { try runner.validate() }
        if !FileManager.default.fileExists(atPath: path) {
            try Workspace.initialize(path: path)
            Terminal.note("created \(path)")
        }
        let outcomes = try await runner.run(Self.events(verbose: verbose, format: output.format))
        let writer = RowWriter(format: output.format, columns: ["step", "status", "seconds", "detail"], sink: StandardOutput(), maxWidth: 90)
        for outcome in outcomes {
            writer.add([.text(outcome.step), .text(outcome.status), .real((outcome.seconds * 10).rounded() / 10), .text(outcome.detail)])
        }
        writer.finish()
    }

    /// How a running pipeline shows itself: one line per step on stderr, a progress line on a
    /// TTY, the eval step's table on stdout (tables only), each command line with --verbose.
    static func events(verbose: Bool, format: OutputFormat) -> PipelineRunner.Events {
        let interrupt = InterruptFlag()
        interrupt.install()
        let progress = ProgressLine()
        var events = PipelineRunner.Events()
        events.shouldStop = { interrupt.isSet }
        events.progress = { line, elapsed in progress.update(line, elapsed: elapsed) }
        events.note = { message in
            progress.finish()
            Terminal.note(message)
        }
        events.starting = { line in
            if verbose { FileHandle.standardError.write(Data("$ \(line)\n".utf8)) }
        }
        events.evaluated = { reports in
            progress.finish()
            if format == .table || format == .csv { EvalCommand.printTable(reports, format: format) }
        }
        events.stepFinished = { outcome in
            progress.finish()
            FileHandle.standardError.write(Data("\(outcome.step) \(outcome.status == "ran" ? "" : "(\(outcome.status)) ")\(outcome.detail)  [\(String(format: "%.1f", outcome.seconds)) s]\n".utf8))
        }
        return events
    }

    /// A stage listed in --only needs the stages that hand it ids.
    private func dependsOn(_ stage: PipelineStage, _ wanted: [String]) -> Bool {
        let needs: [PipelineStage: [String]] = [.score: ["efficiency", "pairs", "export", "eval"], .efficiency: ["pairs", "export"], .pairs: ["export"]]
        return needs[stage]?.contains(where: wanted.contains) ?? false
    }
}
