import Foundation

/// Every stage after `execute`, at the paper's scale: builds a `ScaleDatabase`, then runs
/// each stage as a child process of the given codedpo binary (so each stage's peak memory is
/// its own), and writes the same rows raw through the store where a target compares with that.
public struct ScaleBenchmark {
    /// One command to time. `arguments` get `--db PATH` appended.
    public struct Stage: Sendable {
        public enum Raw: Sendable { case scores, pairs, copy }
        public var name: String
        public var arguments: [String]
        /// The target this stage is held to (shown beside it).
        public var target: Target = .memoryOnly
        /// The raw store cost it is compared with, if any.
        public var raw: Raw?
        /// Rows the stage wrote (counted after it ran), for its per-row cost.
        public var countRows: (@Sendable (Database) throws -> Int)?
        /// Adds `--db PATH` (false for merge, which names its databases as arguments).
        public var takesDB = true

        public init(name: String, arguments: [String], target: Target = .memoryOnly, raw: Raw? = nil, takesDB: Bool = true,
                    countRows: (@Sendable (Database) throws -> Int)? = nil) {
            self.name = name
            self.arguments = arguments
            self.target = target
            self.raw = raw
            self.takesDB = takesDB
            self.countRows = countRows
        }
    }

    public enum Target: Sendable, Equatable {
        case memoryOnly
        /// At most this many seconds (held at the reference size of 20,000 problems or fewer).
        case seconds(Double)
        /// At most this many times the raw cost of writing its rows.
        case rawRatio(Double)
    }

    public struct Measurement: Sendable {
        public var stage: String
        /// Wall-clock seconds, and CPU seconds (user + system) of the stage's process.
        public var seconds: Double
        public var cpuSeconds: Double
        public var peakRSSMB: Double
        public var rows: Int?
        public var rawSeconds: Double?
        public var target: Target
        public var memoryLimitMB: Double
        public var timeTargetApplies: Bool

        public var ratio: Double? { rawSeconds.map { seconds / max($0, 1e-9) } }

        /// Whether the stage met its targets (memory, and time or ratio where it has one).
        public var ok: Bool {
            guard peakRSSMB <= memoryLimitMB else { return false }
            switch target {
            case .memoryOnly: return true
            case .seconds(let limit): return !timeTargetApplies || cpuSeconds <= limit
            case .rawRatio(let limit): return (ratio ?? 0) <= limit
            }
        }

        public var targetText: String {
            let memory = "< \(Int(memoryLimitMB)) MB"
            switch target {
            case .memoryOnly: return memory
            case .seconds(let limit): return timeTargetApplies ? "\(memory), < \(limit) s CPU" : memory
            case .rawRatio(let limit): return "\(memory), <= \(Int(limit))x raw"
            }
        }
    }

    public struct Result: Sendable {
        public var problems: Int
        public var verdicts: Int
        public var databaseMB: Double
        public var importSeconds: Double
        public var verdictSeconds: Double
        public var measurements: [Measurement]

        public var json: JSON {
            .object([
                ("problems", .int(Int64(problems))), ("verdicts", .int(Int64(verdicts))), ("database_mb", .double(databaseMB)),
                ("import_seconds", .double(importSeconds)), ("verdict_insert_seconds", .double(verdictSeconds)),
                ("stages", .array(measurements.map { m in
                    .object([("stage", .string(m.stage)), ("seconds", .double(m.seconds)), ("cpu_seconds", .double(m.cpuSeconds)),
                             ("peak_rss_mb", .double(m.peakRSSMB)),
                             ("rows", JSON(m.rows.map(Int64.init))), ("raw_seconds", JSON(m.rawSeconds)), ("ratio", JSON(m.ratio)),
                             ("us_per_verdict", .double(m.seconds / Double(max(verdicts, 1)) * 1e6)),
                             ("cpu_us_per_verdict", .double(m.cpuSeconds / Double(max(verdicts, 1)) * 1e6)),
                             ("target", .string(m.targetText)), ("ok", .bool(m.ok))])
                })),
            ])
        }
    }

    public var problems: Int
    public var executable: String
    public var directory: URL
    /// Strategy names as `score --strategy` takes them (the CLI passes its whole list).
    public var strategies: [String]
    public var exportFormats: [String]

    public init(problems: Int, executable: String, directory: URL, strategies: [String], exportFormats: [String] = ExportFormat.allCases.map(\.rawValue)) {
        self.problems = problems
        self.executable = executable
        self.directory = directory
        self.strategies = strategies
        self.exportFormats = exportFormats
    }

    /// The memory every stage must stay under at this size.
    public var memoryLimitMB: Double { problems <= 20_000 ? 200 : 500 }

    static let pairSet = "bench"

    /// Every stage, in the order they run. Score runs are numbered in strategy order, so the
    /// self-validation run (the first strategy) is score run 1.
    public func stages(problemID: Int64) -> [Stage] {
        let problem = ScaleDatabase.problemName(problems / 2)
        let out = directory.path
        let selfValidation = strategies.firstIndex(of: "self-validation").map { Int64($0 + 1) } ?? 1
        var list: [Stage] = [Stage(name: "execute (nothing to do)", arguments: ["execute", "--quiet"])]
        for (index, strategy) in strategies.enumerated() {
            let run = Int64(index + 1)
            list.append(Stage(name: "score --strategy \(strategy)", arguments: ["score", "--strategy", strategy],
                              target: strategy == "self-validation" ? .rawRatio(2) : .memoryOnly,
                              raw: strategy == "self-validation" ? .scores : nil,
                              countRows: { db in try db.int("SELECT count(*) FROM scores WHERE score_run_id = ?", run) ?? 0 }))
        }
        list.append(Stage(name: "eval (every score run)", arguments: ["eval", "--no-execute"]))
        list.append(Stage(name: "pairs --score-run \(selfValidation)", arguments: ["pairs", "--score-run", String(selfValidation), "--name", Self.pairSet],
                          target: .rawRatio(3), raw: .pairs,
                          countRows: { db in try db.int("SELECT count(*) FROM pairs p JOIN pair_sets s ON s.id = p.pair_set_id WHERE s.name = ?", Self.pairSet) ?? 0 }))
        for format in exportFormats {
            // RL formats take the pair set's score run; each format's own file extension.
            let ext = ExportFormat(rawValue: format)?.fileExtension ?? "jsonl"
            list.append(Stage(name: "export --format \(format)", arguments: ["export", "--pair-set", Self.pairSet, "--format", format, "--out", "\(out)/export-\(format).\(ext)"]))
        }
        list.append(Stage(name: "report", arguments: ["report", "--out", "\(out)/report.html"], target: .seconds(5)))
        list.append(Stage(name: "stats", arguments: ["stats"]))
        let one: Target = .seconds(0.1)
        list.append(Stage(name: "scores --problem (one problem)", arguments: ["scores", "--score-run", String(selfValidation), "--problem", problem], target: one))
        for view in ["solution_ranking", "test_ranking"] {
            list.append(Stage(name: "\(view) of one problem", arguments: ["query", "SELECT * FROM \(view) WHERE score_run_id = \(selfValidation) AND problem_id = \(problemID)"], target: one))
        }
        list.append(Stage(name: "latest_ranking of one problem", arguments: ["query", "SELECT * FROM latest_ranking WHERE problem_id = \(problemID)"], target: one))
        list.append(Stage(name: "pairs show (one problem)", arguments: ["pairs", "show", "--pair-set", Self.pairSet, "--problem", problem], target: one))
        list.append(Stage(name: "merge into a new file", arguments: ["merge", "\(out)/merged.db"], target: .rawRatio(3), raw: .copy, takesDB: false))
        return list
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("scale-\(problems).db").path
        progress("building \(problems) problems x 15 solutions x 15 tests in \(path)")
        let built = try ScaleDatabase(problems: problems, path: path, scratch: directory).build()
        progress(String(format: "built: %d verdicts, %.0f MB (import %.1f s, verdict insert %.1f s)", built.verdicts, Double(built.bytes) / 1e6,
                        built.importSeconds, built.verdictSeconds))
        let problemID = try Workspace.openForReading(path: path).int("SELECT id FROM problems WHERE external_id = ?",
                                                                         ScaleDatabase.problemName(problems / 2)).map(Int64.init) ?? 1
        var measurements: [Measurement] = []
        for stage in stages(problemID: problemID) {
            progress("running \(stage.name)")
            var arguments = stage.arguments
            if stage.takesDB { arguments += ["--db", path] } else { arguments.append(path) }
            let outcome = try ChildProcess.run(executable, arguments)
            guard outcome.status == 0 else {
                throw StoreError("bench scale: `codedpo \(arguments.joined(separator: " "))` exited with status \(outcome.status):\n\(outcome.stderrTail)")
            }
            var measurement = Measurement(stage: stage.name, seconds: outcome.seconds, cpuSeconds: outcome.cpuSeconds, peakRSSMB: Double(outcome.peakRSSKB) / 1024, rows: nil,
                                          rawSeconds: nil, target: stage.target, memoryLimitMB: memoryLimitMB, timeTargetApplies: problems <= 20_000)
            let db = try Workspace.openForWriting(path: path)
            measurement.rows = try stage.countRows?(db)
            switch stage.raw {
            case .scores?: measurement.rawSeconds = try RawWrites.scores(db, rows: measurement.rows ?? 0)
            case .pairs?: measurement.rawSeconds = try RawWrites.pairs(db, rows: measurement.rows ?? 0)
            case .copy?:
                let merged = "\(directory.path)/merged.db"
                measurement.rows = try RawWrites.rowCount(db)
                removeDatabase(merged)
                measurement.rawSeconds = try RawWrites.copy(from: path, to: "\(directory.path)/raw-copy.db")
                removeDatabase("\(directory.path)/raw-copy.db")
            case nil: break
            }
            measurements.append(measurement)
        }
        for format in exportFormats {
            try? FileManager.default.removeItem(atPath: "\(directory.path)/export-\(format).\(ExportFormat(rawValue: format)?.fileExtension ?? "jsonl")")
        }
        try? FileManager.default.removeItem(atPath: "\(directory.path)/report.html")
        return Result(problems: problems, verdicts: built.verdicts, databaseMB: Double(built.bytes) / 1e6, importSeconds: built.importSeconds,
                      verdictSeconds: built.verdictSeconds, measurements: measurements)
    }

    public func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
