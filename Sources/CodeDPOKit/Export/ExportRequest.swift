import Foundation

/// One `codedpo export` (or a pipeline's export step). `options()` is the one translation
/// from flags to ExportOptions.
public struct ExportRequest: Sendable {
    public var pairSet: String
    /// trl, trl-chat, kto, sft, llamafactory or openrlhf.
    public var format: String
    public var out: String
    public var split: Double?
    public var limit: Int?
    public var shuffle = false
    public var seed: UInt64 = 0
    public var kinds: [String] = []
    public var balance = false

    public init(pairSet: String, format: String, out: String) {
        self.pairSet = pairSet
        self.format = format
        self.out = out
    }

    public func options() throws -> ExportOptions {
        guard let format = ExportFormat(rawValue: format) else {
            throw UsageError("--format is \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")), not \(self.format)")
        }
        if let split, !(split > 0 && split < 1) { throw UsageError("--split is the validation share, between 0 and 1 (e.g. 0.1)") }
        if let bad = kinds.first(where: { !["correctness", "efficiency"].contains($0) }) { throw UsageError("--kind is correctness or efficiency, not \(bad)") }
        if balance && format != .kto { throw UsageError("--balance is for --format kto") }
        var options = ExportOptions(format: format, out: out)
        options.validationShare = split
        options.limit = limit
        options.shuffleSeed = shuffle ? seed : (split != nil ? seed : nil)
        if !kinds.isEmpty { options.kinds = kinds }
        options.balance = balance
        return options
    }

    /// Writes the files and the manifest, recorded as one run with the command line `argv`.
    public func run(db: Database, argv: [String]) throws -> ExportReport {
        let options = try options()
        return try RunLog(db).record(command: "export", argv: argv, parameters: .object([
            ("pair_set", .string(pairSet)), ("format", .string(format)), ("out", .string(out)), ("split", JSON(split)),
            ("limit", JSON(limit)), ("shuffle", .bool(shuffle)), ("seed", .int(Int64(bitPattern: seed))), ("kinds", JSON(options.kinds)),
        ])) { runID in try Exporter(db: db, runID: runID).export(pairSet: pairSet, options: options) }
    }
}
