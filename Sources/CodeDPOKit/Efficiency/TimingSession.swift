import Foundation

/// A worker set up for timing: under valgrind (callgrind) when instructions are counted that
/// way, plainly otherwise. Starting one under valgrind costs seconds (the interpreter starts
/// twice under it), so a process that runs several efficiency runs may keep one session.
public final class TimingSession {
    public let counter: InstructionCounter?
    let worker: WorkerProcess
    let scratch: String
    let callgrindDirectory: String?

    public init(settings: ExecutionSettings, counter: InstructionCounter?) throws {
        var settings = settings
        // Timing needs each test to run many times in one go: the per-test limit grows with it.
        settings.timeout = max(settings.timeout, 60)
        if case .valgrind = counter {
            // Everything runs 10-100x slower under valgrind, and valgrind reserves address space.
            settings.timeout = max(settings.timeout * 20, 600)
            settings.loadTimeout = max(settings.loadTimeout * 50, 120)
            settings.cpuSeconds = settings.cpuSeconds.map { $0 * 50 }
            settings.memoryMB = settings.memoryMB.map { max($0, 4096) }
        }
        self.counter = counter
        scratch = try WorkerProcess.makeScratch()
        worker = WorkerProcess(settings: settings, scratch: scratch)
        // Every job in a fork of the worker as it started: a loader's heap, and so the cost of a
        // body that allocates, must not depend on the jobs before it (see harness_timing.py).
        worker.freshWorker = true
        if case .valgrind(let valgrind) = counter {
            let dumps = scratch + "/callgrind"
            try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true)
            worker.launcher = InstructionCounter.callgrindLauncher(valgrind: valgrind, directory: dumps)
            worker.writable = [dumps]
            callgrindDirectory = dumps
        } else {
            callgrindDirectory = nil
        }
    }

    deinit {
        worker.stop()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// What a timing job tells the harness (see harness_timing.py).
    func timing(minSeconds: Double) -> JSON {
        var fields: [(String, JSON)] = [("min_seconds", .double(minSeconds)), ("warmup", .int(1)), ("instructions", .bool(counter == .perf))]
        if let callgrindDirectory {
            // One counted run per body: every job runs in a fork of the same snapshot, so it repeats.
            fields.append(("callgrind_dir", .string(callgrindDirectory)))
        }
        return .object(fields)
    }
}
