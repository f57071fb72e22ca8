import ArgumentParser
import CodeDPOKit
import Foundation

extension EfficiencyMethod: ExpressibleByArgument {}

struct EfficiencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efficiency",
        abstract: "Time the solutions that pass a score run's trusted tests, or compare two timings.",
        subcommands: [EfficiencyRun.self, EfficiencyCompare.self],
        defaultSubcommand: EfficiencyRun.self
    )
}

struct EfficiencyRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Time the solutions that pass a score run's trusted tests.",
        discussion: """
            Per problem, the trusted tests are the generated tests the top-scored solution of the \
            score run passes (stored in trusted_tests); every solution passing all of them is timed \
            on them. Each measurement repeats a test body until it takes --min-seconds seconds (trusted \
            tests are often tiny) after a warm-up run, and counts the CPU time of the test bodies \
            (or hardware instructions, where perf_event_open is allowed: --method auto uses them \
            when every measurement has them). --repeat repetitions visit all solutions in a new \
            shuffled order each, so a machine that slows down mid-run slows everyone. Every \
            repetition is a row in `timings`; each solution's median and spread go to \
            `efficiency_results`, flagged noisy (and not ranked) when the spread exceeds --max-noise \
            of the median. Timing runs one worker at a time to keep measurements quiet.

            Examples:
              codedpo efficiency --score-run 6
              codedpo efficiency --score-run 6 --repeat 9 --min-seconds 0.05 --problem HumanEval/12
              codedpo efficiency compare 1 2        # how stable is the ranking?
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "The score run whose top solutions define the trusted tests.") var scoreRun: Int64
    @Option(name: .long, help: "Repetitions per solution.") var `repeat` = 5
    @Option(name: .long, help: "Repeat a test body until one measurement takes this many seconds.") var minSeconds = 0.02
    // The old name of --min-seconds, kept working for scripts that use it.
    @Option(name: .customLong("scale"), help: .hidden) var legacyScale: Double?
    @Option(name: .long, help: "Spread over median above which a solution is too noisy to rank.") var maxNoise = 0.1
    @Option(name: .long, help: "auto, instructions or cpu_time.") var method: EfficiencyMethod = .auto
    @Option(name: .long, help: "Seed of the interleaved order.") var seed: UInt64 = 0
    @Option(name: .long, help: "Only this problem (repeatable).") var problem: [String] = []
    @Option(name: .long, help: "Only shard I of N (I/N), as in execute.") var shard: String?
    @OptionGroup var output: FormatOptions

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: EfficiencyRequest {
        var request = EfficiencyRequest(scoreRun: scoreRun)
        request.repeatCount = `repeat`
        request.minSeconds = legacyScale ?? minSeconds
        request.maxNoise = maxNoise
        request.method = method.rawValue
        request.seed = seed
        request.problems = problem
        request.shard = shard
        return request
    }

    func validate() throws {
        try usage { _ = try request.options() }
    }

    func run() throws {
        let db = try database.openForWriting()
        let interrupt = InterruptFlag()
        interrupt.install()
        let progress = ProgressLine()
        let start = Date()
        let report = try request.run(db: db, argv: CommandLine.arguments, progress: { done, total in
            progress.update("\(ProgressLine.bar(Double(done) / Double(max(total, 1)))) \(done)/\(total) timed solution runs", elapsed: Date().timeIntervalSince(start))
        }, shouldStop: { interrupt.isSet })
        progress.finish()
        let writer = RowWriter(format: output.format, columns: ["efficiency_run", "method", "problems", "trusted_tests", "timed", "ranked", "noisy", "failed", "seconds"], sink: StandardOutput())
        writer.add([.integer(report.efficiencyRunID), .text(report.method), .integer(Int64(report.problems)), .integer(Int64(report.trustedTests)),
                    .integer(Int64(report.timedSolutions)), .integer(Int64(report.ranked)), .integer(Int64(report.noisy)),
                    .integer(Int64(report.failed)), .real(report.seconds)])
        writer.finish()
    }
}

struct EfficiencyCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Kendall's tau between two efficiency runs' rankings (how reproducible timing is).",
        discussion: """
            Examples:
              codedpo efficiency compare 1 2
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The first efficiency run.") var first: Int64
    @Argument(help: "The second efficiency run.") var second: Int64
    @OptionGroup var output: FormatOptions

    func run() throws {
        let db = try database.openForReading()
        let result = try EfficiencyRunner.agreement(db, first, second)
        let writer = RowWriter(format: output.format, columns: ["efficiency_runs", "problems", "kendall_tau_b"], sink: StandardOutput())
        writer.add([.text("\(first) vs \(second)"), .integer(Int64(result.problems)), result.kendall.map { .real($0) } ?? .null])
        writer.finish()
    }
}
