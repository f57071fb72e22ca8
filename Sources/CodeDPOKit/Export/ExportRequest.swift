import Foundation

/// One `codedpo export` (or a pipeline's export step). `options()` is the one translation
/// from flags to ExportOptions, and the one place they are checked.
public struct ExportRequest: Sendable {
    /// The pair set (pair formats; the RL formats take its score run).
    public var pairSet: String?
    /// RL formats: the score run whose trusted tests are exported.
    public var scoreRun: Int64?
    /// trl, trl-chat, kto, sft, llamafactory, openrlhf; grpo, verl, openrlhf-rl.
    public var format: String
    /// The data file; nil with `hub`.
    public var out: String?
    /// A Hugging Face Hub dataset folder.
    public var hub: String?
    public var license = "other"
    public var split: Double?
    public var limit: Int?
    public var shuffle = false
    public var seed: UInt64 = 0
    public var kinds: [String] = []
    public var balance = false
    /// Keep pairs of problems that `codedpo decontaminate` found in a benchmark.
    public var allowContaminated = false
    public var minTests = 4

    public init(pairSet: String, format: String, out: String) {
        self.init(pairSet: pairSet, scoreRun: nil, format: format, out: out, hub: nil)
    }

    public init(pairSet: String?, scoreRun: Int64?, format: String, out: String?, hub: String?) {
        self.pairSet = pairSet
        self.scoreRun = scoreRun
        self.format = format
        self.out = out
        self.hub = hub
    }

    /// Where the rows come from.
    public func source() throws -> ExportSource {
        if let pairSet { return .pairSet(pairSet) }
        if let scoreRun { return .scoreRun(scoreRun) }
        throw UsageError("give --pair-set NAME (or, for grpo, verl and openrlhf-rl, --score-run N)")
    }

    public func options() throws -> ExportOptions {
        guard let format = ExportFormat(rawValue: format) else {
            throw UsageError("--format is \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")), not \(self.format)")
        }
        if let split, !(split > 0 && split < 1) { throw UsageError("--split is the validation share, between 0 and 1 (e.g. 0.1)") }
        if let bad = kinds.first(where: { !["correctness", "efficiency"].contains($0) }) { throw UsageError("--kind is correctness or efficiency, not \(bad)") }
        if balance && format != .kto { throw UsageError("--balance is for --format kto") }
        if (out == nil) == (hub == nil) { throw UsageError("give --out FILE or --hub DIR (one of them)") }
        if format.isRL {
            if (pairSet == nil) == (scoreRun == nil) {
                throw UsageError("--format \(format.rawValue) exports a score run's trusted tests: give --score-run N or --pair-set NAME (one of them)")
            }
            if !kinds.isEmpty { throw UsageError("--kind selects pairs: not for --format \(format.rawValue)") }
            if minTests < 1 { throw UsageError("--min-tests is at least 1") }
        } else {
            if pairSet == nil { throw UsageError("--format \(format.rawValue) writes pairs: give --pair-set NAME") }
            if scoreRun != nil { throw UsageError("--score-run is for the RL formats (grpo, verl, openrlhf-rl); a pair set names its score run") }
        }
        var options = ExportOptions(format: format, out: out ?? "")
        options.validationShare = split
        options.limit = limit
        options.shuffleSeed = shuffle ? seed : (split != nil ? seed : nil)
        if !kinds.isEmpty { options.kinds = kinds }
        options.balance = balance
        options.allowContaminated = allowContaminated
        options.minTests = minTests
        options.hub = hub
        options.license = license
        return options
    }

    /// Writes the files and the manifest, recorded as one run with the command line `argv`.
    public func run(db: Database, argv: [String]) throws -> ExportReport {
        let options = try options()
        let source = try source()
        return try RunLog(db).record(command: "export", argv: argv, parameters: .object([
            ("pair_set", JSON(pairSet)), ("score_run", JSON(scoreRun)), ("format", .string(format)), ("out", JSON(out)),
            ("hub", JSON(hub)), ("split", JSON(split)), ("limit", JSON(limit)), ("shuffle", .bool(shuffle)),
            ("seed", .int(Int64(bitPattern: seed))), ("kinds", JSON(options.kinds)), ("min_tests", .int(Int64(minTests))),
            ("allow_contaminated", .bool(allowContaminated)),
        ])) { runID in try Exporter(db: db, runID: runID).export(source, options: options) }
    }
}
