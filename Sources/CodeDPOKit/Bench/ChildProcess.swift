import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command as a child process and reads its time from the kernel (`wait4`'s rusage)
/// and its own peak memory (`PeakMemory`), so one measured stage's memory never hides
/// another's, nor the benchmark's own.
public enum ChildProcess {
    public struct Outcome: Sendable {
        public var status: Int32
        public var seconds: Double
        /// The child's CPU time, user + system: what the time targets are held to on a
        /// shared machine, where wall time also counts waiting for a core.
        public var cpuSeconds: Double
        /// The child's maximum resident set size, in KB.
        public var peakRSSKB: Int
        /// The tail of what it wrote to stderr (for the error message when it fails).
        public var stderrTail: String
    }

    /// The path of the running executable (the release binary the stages are run with).
    public static var currentExecutable: String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments[0]
    }

    /// Runs `executable arguments`, stdout to `stdoutPath` (default /dev/null), stderr kept
    /// in a temporary file whose tail is returned.
    public static func run(_ executable: String, _ arguments: [String], stdoutPath: String = "/dev/null") throws -> Outcome {
        let errPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("codedpo-child-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err").path
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let peakPath = errPath + ".peak"
        defer { try? FileManager.default.removeItem(atPath: peakPath) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment = ProcessInfo.processInfo.environment
        environment[PeakMemory.environmentKey] = peakPath
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw StoreError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw StoreError("waiting for \(executable) failed: \(String(cString: strerror(errno)))") }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // WIFEXITED / WEXITSTATUS, spelled out (the macros are not imported into Swift).
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        // The child's own high-water mark when it wrote one (see PeakMemory); the kernel's
        // figure otherwise, which may include this process's memory.
        let own = (try? String(contentsOfFile: peakPath, encoding: .utf8)).flatMap { Int($0) }
        return Outcome(status: exitStatus, seconds: seconds, cpuSeconds: cpu, peakRSSKB: own ?? usage.ru_maxrss, stderrTail: String(errText.suffix(2000)))
    }
}
