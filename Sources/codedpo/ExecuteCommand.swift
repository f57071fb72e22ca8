import ArgumentParser
import CodeDPOKit
import Foundation

extension Isolation: ExpressibleByArgument {}
extension TestIsolation: ExpressibleByArgument {}

struct ExecuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Run every solution against every test of its problem and store the verdicts.",
        discussion: """
            One verdict per (execution config, solution, test) in `executions`: pass, fail, error, \
            timeout, memory, crash or load_error. The settings (interpreter, isolation, limits) are \
            an execution config, identified by their hash: running again with the same settings only \
            runs what has no verdict yet (new solutions or tests, or the rest of a killed run); other \
            settings make a new config and old verdicts stay.

            The code is untrusted. Long-lived Python workers (one per core, --jobs) load each solution \
            once in a forked child and run its tests there, with time, memory, process, file and \
            open-file limits, a private temporary folder, and destructive calls disabled. A pass is \
            recorded only when the harness saw the test body return, over a private channel, never \
            from an exit code or printed text. This stops accidents, not an attacker: \
            --isolation bwrap adds bubblewrap (no network, read-only root, private /tmp, own PID \
            space).

            Two limits per test: --timeout counts the test's CPU time, which a busy machine does \
            not stretch (the same input gives the same verdicts quiet or loaded), and a wall-clock \
            backstop of --wall-factor times it catches code that sleeps or blocks; either gives \
            timeout. Loading a solution has the same two (--load-timeout). Two execute runs on one \
            database share the work (each claims a solution before running it) and take over the \
            work of a run that was killed.

            Examples:
              codedpo execute                                   # everything missing, default limits
              codedpo execute --timeout 0.1 --jobs 2            # CodeT's per-test timeout
              codedpo execute --problem HumanEval/0 --problem HumanEval/1
              codedpo execute --tests ground_truth              # only the held-out tests (for eval)
              codedpo execute --where "s.id IN (SELECT solution_id FROM solution_sources WHERE model = 'gpt')"
              codedpo execute --shard 0/4 --db shard-0.db        # a deterministic quarter of the problems
              codedpo execute --retry timeout --from-config 1 --timeout 5
              codedpo execute --isolation bwrap
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Seconds of CPU time a test may use (its wall-clock backstop: --wall-factor times this).")
    var timeout = 1.0

    @Option(name: .long, help: "Seconds of CPU time loading a solution (its module body) may use.")
    var loadTimeout = 5.0

    @Option(name: .long, help: "Wall-clock backstop for code that sleeps or blocks, as a multiple of --timeout and --load-timeout (0: the limits are wall clock, as before CPU-time limits).")
    var wallFactor = 5.0

    @Option(name: .long, help: "Address-space limit per test process, in MB (0: none).")
    var memoryMB = 1024

    @Option(name: .long, help: "CPU seconds per loaded solution (0: none).")
    var cpuSeconds = 30.0

    @Option(name: .long, help: "Processes a solution may start (0: none; not enforced for root).")
    var maxProcesses = 64

    @Option(name: .long, help: "Largest file a solution may write, in MB.")
    var maxFileMB = 16

    @Option(name: .long, help: "Open files per process.")
    var maxOpenFiles = 256

    @Option(name: .long, help: "Bytes of a test's output kept (the tail).")
    var outputLimit = 2048

    @Option(name: .long, help: "process, or bwrap (bubblewrap: no network, read-only root, private /tmp).")
    var isolation: Isolation = .process

    @Option(name: .long, help: "Between tests of a solution: namespace (fast; globals and builtins restored) or fork (a fresh process per test).")
    var testIsolation: TestIsolation = .namespace

    @Option(name: .long, help: "Worker processes (default: one per core).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Only this problem (external id; repeatable).")
    var problem: [String] = []

    @Option(name: .long, help: "Only pairs matching this SQL condition over p (problems), s (solutions), t (tests).")
    var `where`: String?

    @Option(name: .long, help: "Only shard I of N (I/N, by a hash of the problem id).")
    var shard: String?

    @Option(name: .long, help: "Only tests of this kind: generated or ground_truth (repeatable; default all).")
    var tests: [TestKind] = []

    @Option(name: .long, help: "Re-run verdicts with this status (repeatable) under the new settings; needs --from-config.")
    var retry: [String] = []

    @Option(name: .long, help: "With --retry: the config whose verdicts are retried (its other verdicts are copied).")
    var fromConfig: Int64?

    @Option(name: .long, help: "Python interpreter (default: python3 on PATH, resolved to the real binary).")
    var python: String?

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    @OptionGroup var output: FormatOptions

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: ExecuteRequest {
        var request = ExecuteRequest()
        request.timeout = timeout
        request.loadTimeout = loadTimeout
        request.wallFactor = wallFactor
        request.memoryMB = memoryMB
        request.cpuSeconds = cpuSeconds
        request.maxProcesses = maxProcesses
        request.maxFileMB = maxFileMB
        request.maxOpenFiles = maxOpenFiles
        request.outputLimit = outputLimit
        request.isolation = isolation
        request.testIsolation = testIsolation
        request.jobs = jobs
        request.problems = problem
        request.whereSQL = `where`
        request.shard = shard
        request.testKinds = tests
        request.retry = retry
        request.fromConfig = fromConfig
        request.python = python
        return request
    }

    func validate() throws {
        try usage { try request.validate() }
    }

    func run() throws {
        let interpreter = try PythonInterpreter.resolve(python)
        let db = try database.openForWriting()
        if !quiet { Terminal.note("python: \(interpreter.path) (\(interpreter.version)); isolation \(isolation.rawValue), tests \(testIsolation.rawValue)") }
        let interrupt = InterruptFlag()
        interrupt.install()
        let progress = ProgressLine(quiet: quiet)
        let report: ExecuteReport
        do {
            report = try request.run(db: db, argv: CommandLine.arguments, interpreter: interpreter, progress: { state in
                let rate = state.elapsed > 0 ? Double(state.done) / state.elapsed : 0
                let eta = rate > 0 ? Double(state.planned - state.done) / rate : .infinity
                let statuses = VerdictStatus.names
                    .compactMap { key in state.counts[key].map { "\(key) \($0)" } }.joined(separator: " · ")
                let fraction = state.planned > 0 ? Double(state.done) / Double(state.planned) : 1
                progress.update("\(ProgressLine.bar(fraction)) \(state.done)/\(state.planned) verdicts  \(Int(rate))/s  ETA \(ProgressLine.duration(eta))  \(statuses)",
                                elapsed: state.elapsed)
            }, shouldStop: { interrupt.isSet })
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        printSummary(report)
        if report.interrupted { throw ExitCode(130) }
    }

    func printSummary(_ report: ExecuteReport) {
        let sink = StandardOutput()
        switch output.format {
        case .json: sink.write(report.json.prettyText + "\n")
        case .jsonl: sink.write(report.json.text + "\n")
        case .table, .csv:
            let writer = RowWriter(format: output.format, columns: ["status", "verdicts", "share"], sink: sink)
            for (status, count) in report.counts.sorted(by: { $0.value > $1.value }) {
                writer.add([.text(status), .integer(Int64(count)), .text(String(format: "%.1f%%", 100 * Double(count) / Double(max(report.done, 1))))])
            }
            writer.finish()
            if output.format == .table {
                var line = "config \(report.configID)\(report.newConfig ? " (new)" : ""): \(report.done) verdicts for \(report.solutions) solutions of \(report.problems) problems in \(String(format: "%.1f", report.seconds)) s (\(Int(report.verdictsPerSecond))/s)"
                if report.copied > 0, let base = fromConfig { line += "; \(report.copied) copied from config \(base)" }
                if report.planned == 0 { line = "config \(report.configID): nothing to run: every (solution, test) pair in scope has a verdict" }
                sink.write(line + "\n")
            }
        }
        sink.flush()
    }
}
