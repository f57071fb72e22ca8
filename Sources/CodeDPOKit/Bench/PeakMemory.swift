import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stage's own peak memory, for `bench scale`. The kernel's rusage of a spawned child counts
/// the parent's memory too (Linux keeps the largest address space a process ever had, and a
/// spawned child starts in its parent's until it execs), so the child reports its own: at
/// exit it writes the high-water mark of its own address space (VmHWM) to the file named by
/// `CODEDPO_PEAK_RSS_FILE`.
public enum PeakMemory {
    public static let environmentKey = "CODEDPO_PEAK_RSS_FILE"

    /// Called first thing in `main`: does nothing unless the variable is set.
    public static func recordAtExitIfAsked() {
        guard ProcessInfo.processInfo.environment[environmentKey] != nil else { return }
        atexit {
            guard let target = getenv(PeakMemory.environmentKey).map({ String(cString: $0) }),
                  let kilobytes = PeakMemory.highWaterKB() else { return }
            try? String(kilobytes).write(toFile: target, atomically: false, encoding: .utf8)
        }
    }

    /// VmHWM of this process's address space, in KB (nil where /proc is missing).
    public static func highWaterKB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
}
