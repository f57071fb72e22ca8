import ArgumentParser
import CodeDPOKit
import Foundation

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a pair set as training data for TRL, LLaMA-Factory or OpenRLHF, with a manifest.",
        discussion: """
            Formats:
              trl           {"prompt", "chosen", "rejected"} strings (TRL DPOTrainer, standard format)
              trl-chat      the same as {"role", "content"} message lists (conversational format)
              kto           {"prompt", "completion", "label"} (TRL KTOTrainer); --balance evens the labels
              sft           {"prompt", "completion"} of the chosen solutions (TRL SFTTrainer)
              llamafactory  {"instruction", "input", "chosen", "rejected"} + dataset_info.json ("ranking": true)
              openrlhf      {"prompt", "chosen", "rejected", "margin"}
            Responses are the completion only (a solution stored as prompt + completion loses its \
            prompt), so a trainer that joins prompt and response sees the prompt once. Every line is \
            read back and checked (parses, no empty field, no repeated prompt) before the export is \
            recorded in `exports` with its sha256. A manifest (NAME.manifest.json) beside the data \
            names the pair set, its policy, the score and efficiency runs with their parameters, the \
            counts, the files' sha256, the tool version and the source database.

            Examples:
              codedpo export --pair-set v1 --format trl --out data/v1.jsonl
              codedpo export --pair-set v1 --format trl --out data/v1.jsonl --split 0.1 --shuffle --seed 7
              codedpo export --pair-set v1 --format kto --out data/v1-kto.jsonl --balance
              codedpo export --pair-set v1 --format llamafactory --out data/v1.jsonl --kind correctness
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "The pair set (its name).") var pairSet: String
    @Option(name: .long, help: "trl, trl-chat, kto, sft, llamafactory or openrlhf.") var format: ExportFormat
    @Option(name: .long, help: "Output file (.jsonl).") var out: String
    @Option(name: .long, help: "Share of problems (0-1) in a validation file; the split is deterministic by problem.") var split: Double?
    @Option(name: .long, help: "Write at most this many pairs.") var limit: Int?
    @Flag(name: .long, help: "Shuffle the pairs (deterministic with --seed).") var shuffle = false
    @Option(name: .long, help: "Seed of the shuffle and of the split.") var seed: UInt64 = 0
    @Option(name: .long, help: "Only pairs of this kind: correctness or efficiency (repeatable).") var kind: [String] = []
    @Flag(name: .long, help: "KTO: as many desirable as undesirable rows.") var balance = false
    @Option(name: .customLong("report-format"), help: "Report format: table, csv, json or jsonl.") var reportFormat: OutputFormat = .table

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: ExportRequest {
        var request = ExportRequest(pairSet: pairSet, format: format.rawValue, out: out)
        request.split = split
        request.limit = limit
        request.shuffle = shuffle
        request.seed = seed
        request.kinds = kind
        request.balance = balance
        return request
    }

    func validate() throws {
        try usage { _ = try request.options() }
    }

    func run() throws {
        let report = try request.run(db: try database.openForWriting(), argv: CommandLine.arguments)
        let writer = RowWriter(format: reportFormat, columns: ["file", "split", "rows", "sha256"], sink: StandardOutput(), maxWidth: 70)
        for file in report.files { writer.add([.text(file.path), file.split.map { .text($0) } ?? .null, .integer(Int64(file.rows)), .text(file.sha256)]) }
        writer.finish()
        if format == .kto {
            for file in report.files { Terminal.note("\(file.path): \(file.desirable) desirable, \(file.undesirable) undesirable") }
        }
        Terminal.note("manifest: \(report.manifestPath)" + (report.extraFiles.isEmpty ? "" : "; also \(report.extraFiles.joined(separator: ", "))"))
    }
}
