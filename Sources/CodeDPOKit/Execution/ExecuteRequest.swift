import Foundation

/// One `codedpo execute` (or a pipeline's execute step): the execution settings and what to
/// run, as the flags give them. `options(interpreter:)` is the one translation to
/// ExecuteOptions; `run` records the run (interrupted when stopped by a signal).
public struct ExecuteRequest: Sendable {
    public var timeout = 1.0
    public var loadTimeout = 5.0
    /// The wall-clock backstop as a multiple of the CPU-time limits; 0: wall-clock limits.
    public var wallFactor = 5.0
    /// 0: no limit (the same for cpuSeconds and maxProcesses).
    public var memoryMB = 1024
    public var cpuSeconds = 30.0
    public var maxProcesses = 64
    public var maxFileMB = 16
    public var maxOpenFiles = 256
    public var outputLimit = 2048
    public var isolation: Isolation = .process
    public var testIsolation: TestIsolation = .namespace
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    public var problems: [String] = []
    public var whereSQL: String?
    /// I/N.
    public var shard: String?
    public var testKinds: [TestKind] = []
    public var retry: [String] = []
    public var fromConfig: Int64?
    public var python: String?

    public init() {}

    public func validate() throws {
        if timeout <= 0 || loadTimeout <= 0 { throw UsageError("--timeout and --load-timeout must be > 0") }
        if wallFactor != 0 && wallFactor < 1 { throw UsageError("--wall-factor must be >= 1 (or 0: wall-clock limits)") }
        if jobs < 1 { throw UsageError("--jobs must be >= 1") }
        if let shard, Shard(shard) == nil { throw UsageError("--shard takes I/N with 0 <= I < N, e.g. 0/4") }
        if let bad = retry.first(where: { VerdictStatus(rawValue: $0) == nil }) {
            throw UsageError("--retry takes a status (\(VerdictStatus.names.joined(separator: ", "))), not \(bad)")
        }
        if !retry.isEmpty && fromConfig == nil { throw UsageError("--retry needs --from-config N (the config to retry)") }
    }

    public func options(interpreter: PythonInterpreter) throws -> ExecuteOptions {
        try validate()
        var settings = ExecutionSettings(interpreter: interpreter)
        settings.isolation = isolation
        settings.testIsolation = testIsolation
        settings.timeout = timeout
        settings.loadTimeout = loadTimeout
        settings.wallFactor = wallFactor > 0 ? wallFactor : nil
        settings.memoryMB = memoryMB > 0 ? memoryMB : nil
        settings.cpuSeconds = cpuSeconds > 0 ? cpuSeconds : nil
        settings.maxProcesses = maxProcesses > 0 ? maxProcesses : nil
        settings.maxFileMB = maxFileMB
        settings.maxOpenFiles = maxOpenFiles
        settings.outputLimit = outputLimit
        var options = ExecuteOptions(settings: settings)
        options.jobs = jobs
        options.problems = problems
        options.whereSQL = whereSQL
        options.shard = shard.flatMap(Shard.init)
        options.testKinds = testKinds
        options.retry = retry
        options.baseConfig = fromConfig
        return options
    }

    /// Executes what has no verdict yet, recorded as one run with the command line `argv`:
    /// ok, interrupted (stopped by `shouldStop`; finished verdicts kept) or failed.
    public func run(db: Database, argv: [String], interpreter: PythonInterpreter, progress: (ExecuteProgress) -> Void = { _ in },
                    shouldStop: @escaping () -> Bool = { false }) throws -> ExecuteReport {
        let options = try options(interpreter: interpreter)
        let log = RunLog(db)
        let runID = try log.start(command: "execute", argv: argv, parameters: .object([
            ("settings", options.settings.parameters), ("harness_sha256", .string(ExecutionSettings.harnessHash)), ("jobs", .int(Int64(jobs))),
            ("problems", JSON(problems)), ("where", JSON(whereSQL)), ("shard", JSON(shard)), ("tests", JSON(testKinds.map(\.rawValue))),
            ("retry", JSON(retry)), ("from_config", JSON(fromConfig)),
        ]))
        let report: ExecuteReport
        do {
            report = try Executor(db: db, runID: runID, options: options).run(progress: progress, shouldStop: shouldStop)
        } catch {
            try? log.finish(runID, status: .failed, error: String(describing: error))
            throw error
        }
        try log.finish(runID, status: report.interrupted ? .interrupted : .ok,
                       error: report.interrupted ? "stopped by a signal; finished verdicts kept" : nil, summary: report.json)
        return report
    }
}
