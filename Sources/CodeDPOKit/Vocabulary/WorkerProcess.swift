import Foundation

/// One verdict as a worker reports it.
public struct Verdict: Sendable, Equatable {
    public var testID: Int64
    public var status: String
    public var duration: Double?
    public var cpu: Double?
    public var maxRSSKB: Int64?
    public var output: String?
    public var error: String?
    /// Timing jobs only: how many times the test body ran, and the instructions it took.
    public var loops: Int64? = nil
    public var instructions: Int64? = nil

    static let statuses = Set(VerdictStatus.names)
}

/// A long-lived Python worker running the embedded harness, driven over its stdin/stdout.
/// It never runs untrusted code itself (its forked children do), so a hostile solution can
/// kill at most a child; if the worker itself dies, the job's unanswered tests are `crash`
/// and the next job gets a new worker.
final class WorkerProcess {
    let settings: ExecutionSettings
    let scratch: String
    private var process: Process?
    private var input: FileHandle?
    private var reader: LineChannel?
    private(set) var stderrTail = ""
    private var nextJob: Int64 = 1
    /// The tests of the last job this worker process was sent: it keeps their code, so the next
    /// job (most often the next solution of the same problem) names a test by id alone when its
    /// code is the same (callers may reuse ids for other code: ExpectedOutputs numbers from 0).
    private var heldTests: [Int64: String] = [:]
    /// ... and their ids in order: a job with exactly these tests says "same_tests" instead of
    /// listing them (the worker reads, gate-checks and hands on the list once for all the
    /// solutions of a problem).
    private var heldOrder: [Int64] = []
    static let timingPrefix = "codedpo-timing:"
    /// A command the interpreter runs under (efficiency's instruction counting: valgrind),
    /// and host folders it writes to that bubblewrap must leave writable.
    var launcher: [String] = []
    var writable: [String] = []
    /// Each job served by a fork of the worker as it was at start (harness "fresh_worker"):
    /// timing jobs, whose counts must not depend on the jobs served before.
    var freshWorker = false

    init(settings: ExecutionSettings, scratch: String) {
        self.settings = settings
        self.scratch = scratch
    }

    deinit { stop() }

    /// A private (0700) folder for one run's workers: their home, temp root and harness file.
    static func makeScratch() throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("codedpo-exec-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return base.path
    }

    /// The harness is read from a read-only file in the scratch folder: as one `-c` argument
    /// it would hit Linux's 128 KiB limit on a single argument as it grows.
    func harnessFile() throws -> String {
        let path = scratch + "/codedpo-harness.py"
        if !FileManager.default.fileExists(atPath: path) {
            try ExecutionSettings.harnessSource.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        }
        return path
    }

    /// The command that starts a worker: the interpreter, inside bubblewrap when asked.
    func command() throws -> (String, [String]) {
        let host = try harnessFile()
        let inside = settings.isolation == .bwrap ? "/tmp/codedpo-harness.py" : host
        // Not -I: it ignores the environment, so PYTHONHASHSEED=0 would not take and a
        // solution that depends on set or dict order of strings would get a different verdict
        // each run. The environment is ours alone (start() replaces it); -s drops the user's
        // site-packages, and the loader drops the working directory from the import path (-P).
        let loader = "import sys; sys.path[:] = [p for p in sys.path if p]; exec(compile(open(sys.argv[1]).read(), '<codedpo-harness>', 'exec'))"
        let python = launcher + [settings.interpreter.path, "-s", "-S", "-u", "-c", loader, inside]
        switch settings.isolation {
        case .process:
            return (python[0], Array(python.dropFirst()))
        case .bwrap:
            guard let bwrap = ExecutionSettings.bwrapPath else {
                throw StoreError("--isolation bwrap needs bubblewrap: apt-get install -y bubblewrap (or use --isolation process)")
            }
            return (bwrap, ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                            "--ro-bind", host, inside] + writable.flatMap { ["--bind", $0, $0] } + [
                            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                            "--chdir", "/tmp", "--"] + python)
        }
    }

    func start() throws {
        stop()
        let (executable, arguments) = try command()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // A clean environment: no API keys or tokens of the user reach untrusted code.
        process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": scratch,
                               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                               // Marks every process of this run, so leftovers can be found.
                               "CODEDPO_SCRATCH": scratch]
        process.currentDirectoryURL = URL(fileURLWithPath: settings.isolation == .bwrap ? "/" : scratch)
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        self.process = process
        heldTests = [:]
        heldOrder = []
        self.input = stdin.fileHandleForWriting
        self.reader = LineChannel(fd: stdout.fileHandleForReading.fileDescriptor, keep: stdout.fileHandleForReading)
        let errors = stderr.fileHandleForReading
        errors.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard !data.isEmpty, let self else { return }
            self.stderrTail = String((self.stderrTail + String(decoding: data, as: UTF8.self)).suffix(2000))
        }
        let tmpRoot = settings.isolation == .bwrap ? "/tmp" : scratch
        var config = settings.workerConfig(tmpRoot: tmpRoot)
        if freshWorker, case .object(let fields) = config { config = .object(fields + [("fresh_worker", .bool(true))]) }
        try send(config)
        guard let line = try reader?.readLine(), let ready = try? JSON.parse(line), ready["type"] == "ready" else {
            process.waitUntilExit()
            throw StoreError("the Python worker did not start (\(executable)): \(stderrTail.isEmpty ? "no message" : stderrTail)")
        }
    }

    /// Starts `workers` at once, one thread each; throws the first one's error, if any.
    static func startAll(_ workers: [WorkerProcess]) throws {
        guard let first = workers.first else { return }
        _ = try first.harnessFile()     // (written once, before the threads read it)
        let failures = LockedErrors(count: workers.count)
        DispatchQueue.concurrentPerform(iterations: workers.count) { index in
            do { try workers[index].start() } catch { failures[index] = error }
        }
        if let error = failures[0] {
            for worker in workers { worker.stop() }
            throw error
        }
    }

    func stop() {
        if let input { try? input.close() }
        input = nil
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process = nil
        reader = nil
    }

    /// Kills the worker at once (Ctrl-C): its loaders die with it (PDEATHSIG).
    func kill() {
        if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    private func send(_ message: JSON) throws {
        guard let input else { throw StoreError("worker is not running") }
        do {
            try input.write(contentsOf: Data((message.text + "\n").utf8))
        } catch {
            throw StoreError("the Python worker stopped reading: \(stderrTail)")
        }
    }

    /// Runs one solution against its tests: one verdict per test, always. A worker that
    /// dies mid-job is replaced; the tests it did not answer get `crash`.
    func run(solution: String, tests: [(id: Int64, code: String)], timing: JSON? = nil) -> [Verdict] {
        answer(solution: solution, tests: tests, timing: timing).verdicts
    }

    /// The verdicts of one job; with `requeue`, the worker may hand back the tests that were
    /// still waiting when a loader ended before the job's last test (a timeout, a crash):
    /// they come back in `requeued`, without a verdict, for the caller to run as a new job.
    func answer(solution: String, tests: [(id: Int64, code: String)], timing: JSON? = nil,
                requeue: Bool = false) -> WorkerAnswer {
        var verdicts: [Int64: Verdict] = [:]
        verdicts.reserveCapacity(tests.count)
        var requeued = Set<Int64>()
        let job = nextJob
        nextJob += 1
        var failure: String?
        do {
            if process == nil || !(process?.isRunning ?? false) { try start() }
            // A fresh-worker job is served by a fork of the worker, which keeps nothing: every
            // test comes with its code then.
            let held = freshWorker ? [:] : heldTests
            let sameTests = !freshWorker && !heldOrder.isEmpty && heldOrder.count == tests.count
                && zip(heldOrder, tests).allSatisfy { $0 == $1.id && held[$1.id] == $1.code }
            var message: [(String, JSON)] = [("type", "job"), ("job", .int(job)), ("solution", .string(solution))]
            if sameTests {
                message.append(("same_tests", .bool(true)))
            } else {
                message.append(("tests", .array(tests.map {
                    held[$0.id] == $0.code ? .object([("id", .int($0.id))])
                        : .object([("id", .int($0.id)), ("code", .string($0.code))])
                })))
            }
            if let timing { message.append(("timing", timing)) }
            if requeue { message.append(("requeue", .bool(true))) }
            heldTests = [:]     // (until the job is answered: a worker that fails is restarted)
            heldOrder = []
            try send(.object(message))
            func accept(_ record: ResultRecord) {
                guard Verdict.statuses.contains(record.status) else { return }
                var verdict = Verdict(testID: record.testID, status: record.status, duration: record.duration,
                                      cpu: record.cpu, maxRSSKB: record.maxRSSKB,
                                      output: record.output.isEmpty ? nil : record.output, error: record.error)
                // Timing jobs report the loop count and instructions in the output field.
                if timing != nil, let output = verdict.output, output.hasPrefix(Self.timingPrefix),
                   let detail = try? JSON.parse(String(output.dropFirst(Self.timingPrefix.count))) {
                    verdict.loops = detail["loops"]?.intValue
                    verdict.instructions = detail["instructions"]?.intValue
                    verdict.output = nil
                }
                verdicts[record.testID] = verdict
            }
            while let line = try reader?.readLine() {
                if let results = ResultsLine.parse(line) {
                    if results.job == job { results.records.forEach(accept) }
                    continue
                }
                guard let message = try? JSON.parse(line) else { continue }
                let type = message["type"]?.stringValue
                if type == "done" && message["job"]?.intValue == job {
                    // (Only a test of this job without a verdict counts as handed back: see below.)
                    requeued = Set((message["requeue"]?.arrayValue ?? []).compactMap(\.intValue))
                        .filter { verdicts[$0] == nil }
                    break
                }
                // Result records come several a line: [test, status, duration, cpu, max_rss_kb, output, error].
                guard type == "results", message["job"]?.intValue == job, let records = message["r"]?.arrayValue else { continue }
                for record in records {
                    guard let fields = record.arrayValue, fields.count == 7, let id = fields[0].intValue,
                          let status = fields[1].stringValue else { continue }
                    accept(ResultRecord(testID: id, status: status, duration: fields[2].doubleValue,
                                        cpu: fields[3].doubleValue, maxRSSKB: fields[4].intValue,
                                        output: fields[5].stringValue ?? "", error: fields[6].stringValue))
                }
            }
            // Every test of the job has a verdict or was handed back (ids the job did not send
            // count for neither).
            if !tests.allSatisfy({ verdicts[$0.id] != nil || requeued.contains($0.id) }) {
                requeued = []
                failure = "the worker stopped before answering every test"
            } else {
                heldTests = Dictionary(tests.map { ($0.id, $0.code) }, uniquingKeysWith: { first, _ in first })
                // (A list with an id twice is not one the worker keeps: see harness read_tests.)
                heldOrder = heldTests.count == tests.count ? tests.map(\.id) : []
            }
        } catch {
            failure = String(describing: error)
        }
        if let failure {
            let detail = stderrTail.isEmpty ? failure : "\(failure): \(stderrTail.suffix(300))"
            stop()
            for test in tests where verdicts[test.id] == nil {
                verdicts[test.id] = Verdict(testID: test.id, status: "crash", error: "harness: \(detail)")
            }
        }
        return WorkerAnswer(verdicts: tests.compactMap { verdicts[$0.id] },
                            requeued: tests.filter { requeued.contains($0.id) })
    }
}

/// What a worker answered for one job: a verdict for each test, or the test handed back
/// (see WorkerProcess.answer).
struct WorkerAnswer {
    var verdicts: [Verdict]
    var requeued: [(id: Int64, code: String)]
}

/// Lines from a file descriptor, with its own buffer (Foundation's FileHandle has no
/// line reading and `availableData` allocates per call).
final class LineChannel {
    private let fd: Int32
    private let keep: AnyObject?
    private var buffer: [UInt8] = []
    private var start = 0
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    init(fd: Int32, keep: AnyObject? = nil) {
        self.fd = fd
        self.keep = keep
    }

    func readLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                if start > 1 << 16 && start * 2 > buffer.count {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}

/// Errors recorded from several threads, one slot each.
private final class LockedErrors: @unchecked Sendable {
    private var values: [Error?]
    private let lock = NSLock()
    init(count: Int) { values = [Error?](repeating: nil, count: count) }
    subscript(index: Int) -> Error? {
        get { lock.lock(); defer { lock.unlock() }; return values[index] }
        set { lock.lock(); values[index] = newValue; lock.unlock() }
    }
}
