import Foundation

/// Where instruction counts come from. Instructions executed by the test bodies repeat
/// exactly from run to run (the same program does the same work), where CPU time moves with
/// the machine's load; see docs/commands/efficiency.md for what they miss.
public enum InstructionCounter: Equatable, Sendable {
    /// Hardware counters (perf_event_open), where the kernel allows them: full speed.
    case perf
    /// valgrind's callgrind counting only the test bodies, where perf_event_open is refused
    /// (most VMs and containers): 10-50x slower per body, but one run suffices.
    case valgrind(path: String)

    public var name: String {
        switch self {
        case .perf: return "perf"
        case .valgrind: return "valgrind"
        }
    }

    /// The best counter this machine offers for this interpreter, or nil (then only CPU time).
    public static func available(for interpreter: PythonInterpreter) -> InstructionCounter? {
        if perfAllowed(interpreter) { return .perf }
        return valgrind(for: interpreter)
    }

    /// valgrind, when installed and the interpreter is a real ELF binary (a pyenv shim is a
    /// shell script: valgrind would count the shell).
    public static func valgrind(for interpreter: PythonInterpreter) -> InstructionCounter? {
        guard let path = PythonInterpreter.locate("valgrind"), isELF(interpreter.path) else { return nil }
        return .valgrind(path: path)
    }

    static func isELF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return magic == Data([0x7F, 0x45, 0x4C, 0x46])
    }

    /// Whether the kernel lets the interpreter open a user-space instruction counter, tried
    /// the way the harness opens it.
    static func perfAllowed(_ interpreter: PythonInterpreter) -> Bool {
        let probe = """
            import ctypes, struct, sys
            libc = ctypes.CDLL(None, use_errno=True)
            attr = ctypes.create_string_buffer(128)
            struct.pack_into("IIQ", attr, 0, 0, 128, 1)
            struct.pack_into("Q", attr, 40, (1 << 5) | (1 << 6))
            sys.exit(0 if libc.syscall(298, attr, 0, -1, -1, 0) >= 0 else 1)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter.path)
        process.arguments = ["-S", "-c", probe]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// The command prefix that runs a worker under callgrind, collecting only inside the C
    /// function through which the harness enters a test body (see harness_timing.py), one
    /// dump file per body in `directory`. --trace-children: the worker re-executes itself at
    /// start; forked loaders are followed anyway.
    static func callgrindLauncher(valgrind: String, directory: String) -> [String] {
        [valgrind, "--tool=callgrind", "-q", "--trace-children=yes", "--collect-atstart=no",
         "--toggle-collect=closure_fcn", "--dump-after=closure_fcn", "--dump-instr=no",
         "--callgrind-out-file=\(directory)/cg.%p"]
    }
}
