import Foundation

/// How far the worker processes are fenced off from the machine.
public enum Isolation: String, CaseIterable, Sendable {
    /// Worker processes with rlimits, a private temp folder and destructive calls disabled
    /// inside Python. Stops accidents, not an attacker.
    case process
    /// The same inside bubblewrap: no network, read-only root, private /tmp, own PID space.
    case bwrap
}

/// How tests of one solution are kept apart (see Harness/harness_loader.py).
public enum TestIsolation: String, CaseIterable, Sendable {
    /// Tests run one after another in the loaded solution's process; globals and builtins
    /// are restored after each test (in-place mutation of module objects is not undone).
    case namespace
    /// A fresh fork of the loaded solution per test: full isolation, ~1-3 ms per test.
    case fork
}

/// Everything that decides a verdict: stored in `execution_configs`, identified by its hash,
/// so running again with the same settings adds verdicts to the same config.
public struct ExecutionSettings: Sendable, Equatable {
    public var interpreter: PythonInterpreter
    public var isolation: Isolation = .process
    public var testIsolation: TestIsolation = .namespace
    /// Seconds of CPU time a test may use (wall-clock seconds when `wallFactor` is nil).
    public var timeout: Double = 1.0
    /// Seconds of CPU time loading a solution may use (wall clock when `wallFactor` is nil).
    public var loadTimeout: Double = 5.0
    /// The wall-clock backstop, as a multiple of `timeout` (and of `loadTimeout` for the load):
    /// for code that sleeps or blocks, which uses no CPU time. Either limit gives `timeout`.
    /// CPU time does not grow when the machine is busy, so verdicts do not move with its load.
    /// nil: the limits are wall clock (configs made before CPU-time limits read back so).
    public var wallFactor: Double? = 5
    public var memoryMB: Int? = 1024
    public var cpuSeconds: Double? = 30
    public var maxProcesses: Int? = 64
    public var maxFileMB: Int? = 16
    public var maxOpenFiles: Int? = 256
    public var outputLimit: Int = 2048

    public init(interpreter: PythonInterpreter) { self.interpreter = interpreter }

    /// The parameters, in a fixed order: what the config hash is computed from. The harness's
    /// own version is not part of it (a fixed harness must not orphan old verdicts); each
    /// execute run records it in its parameters instead.
    public var parameters: JSON {
        .object([
            ("interpreter", .string(interpreter.path)), ("interpreter_version", .string(interpreter.version)),
            ("isolation", .string(isolation.rawValue)), ("test_isolation", .string(testIsolation.rawValue)),
            ("timeout_s", .double(timeout)), ("load_timeout_s", .double(loadTimeout)),
        ] + (wallFactor.map { [("timeout_clock", "cpu"), ("wall_factor", .double($0))] } ?? []) + [
            ("memory_mb", JSON(memoryMB)), ("cpu_s", JSON(cpuSeconds)), ("max_processes", JSON(maxProcesses)),
            ("max_file_mb", JSON(maxFileMB)), ("max_open_files", JSON(maxOpenFiles)),
            ("output_limit_bytes", .int(Int64(outputLimit))),
        ])
    }

    /// Reads settings back from a config's stored parameters (eval runs ground-truth tests
    /// under the very config a score run used).
    public init(parameters: JSON) throws {
        guard let path = parameters["interpreter"]?.stringValue, let version = parameters["interpreter_version"]?.stringValue else {
            throw StoreError("execution config parameters lack the interpreter")
        }
        self.init(interpreter: PythonInterpreter(path: path, version: version))
        isolation = parameters["isolation"]?.stringValue.flatMap(Isolation.init) ?? .process
        testIsolation = parameters["test_isolation"]?.stringValue.flatMap(TestIsolation.init) ?? .namespace
        timeout = parameters["timeout_s"]?.doubleValue ?? timeout
        loadTimeout = parameters["load_timeout_s"]?.doubleValue ?? loadTimeout
        // Configs without a timeout clock were made when the limits were wall clock.
        wallFactor = parameters["timeout_clock"]?.stringValue == "cpu" ? parameters["wall_factor"]?.doubleValue : nil
        memoryMB = parameters["memory_mb"]?.intValue.map(Int.init)
        cpuSeconds = parameters["cpu_s"]?.doubleValue
        maxProcesses = parameters["max_processes"]?.intValue.map(Int.init)
        maxFileMB = parameters["max_file_mb"]?.intValue.map(Int.init)
        maxOpenFiles = parameters["max_open_files"]?.intValue.map(Int.init)
        outputLimit = parameters["output_limit_bytes"]?.intValue.map(Int.init) ?? outputLimit
    }

    public static func load(configID: Int64, from db: Database) throws -> ExecutionSettings {
        guard let text = try db.scalar("SELECT parameters FROM execution_configs WHERE id = ?", configID)?.string else {
            throw StoreError("no execution config \(configID)")
        }
        return try ExecutionSettings(parameters: try JSON.parse(text))
    }

    static let harnessSource = HarnessSource.joined(EmbeddedKit.files)
    public static let harnessHash = SHA256.hex(harnessSource)

    /// The config row for these settings, created when new.
    public func configID(in db: Database, runID: Int64) throws -> (id: Int64, isNew: Bool) {
        let text = parameters.text
        let hash = SHA256.hex(text)
        if let id = try db.int("SELECT id FROM execution_configs WHERE content_hash = ?", hash) { return (Int64(id), false) }
        try db.run("""
            INSERT INTO execution_configs (content_hash, interpreter, interpreter_version, isolation, timeout_s, load_timeout_s,
                memory_mb, cpu_s, max_processes, max_file_mb, max_open_files, output_limit_bytes, parameters, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, hash, interpreter.path, interpreter.version, isolation.rawValue, timeout, loadTimeout, memoryMB, cpuSeconds,
                   maxProcesses, maxFileMB, maxOpenFiles, outputLimit, text, runID)
        return (db.lastInsertRowID, true)
    }

    /// The first line a worker reads.
    func workerConfig(tmpRoot: String?) -> JSON {
        .object([
            ("type", "config"), ("timeout", .double(timeout)), ("load_timeout", .double(loadTimeout)),
            ("wall_factor", JSON(wallFactor)),
            ("memory_mb", JSON(memoryMB)), ("cpu_s", JSON(cpuSeconds)), ("max_processes", JSON(maxProcesses)),
            ("max_file_mb", JSON(maxFileMB)), ("max_open_files", JSON(maxOpenFiles)), ("output_limit", .int(Int64(outputLimit))),
            ("test_isolation", .string(testIsolation.rawValue)), ("tmp_root", JSON(tmpRoot)),
        ])
    }

    public static var bwrapPath: String? { PythonInterpreter.locate("bwrap") }
}
