import ArgumentParser
import CodeDPOKit
import Foundation

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a pair set as training data (TRL, LLaMA-Factory, OpenRLHF), or problems with trusted tests as RL data (TRL GRPO, verl, OpenRLHF PPO).",
        discussion: """
            Pair formats (--pair-set):
              trl           {"prompt", "chosen", "rejected"} strings (TRL DPOTrainer, standard format)
              trl-chat      the same as {"role", "content"} message lists (conversational format)
              kto           {"prompt", "completion", "label"} (TRL KTOTrainer); --balance evens the labels
              sft           {"prompt", "completion"} of the chosen solutions (TRL SFTTrainer)
              llamafactory  {"instruction", "input", "chosen", "rejected"} + dataset_info.json ("ranking": true)
              openrlhf      {"prompt", "chosen", "rejected", "margin"}
            RL formats (--score-run, or --pair-set for its score run): one row a problem with the tests \
            the score run trusts (the generated tests its top-scored solution passes), each with its \
            trust score; problems with fewer than --min-tests trusted tests are left out and counted.
              grpo          prompt (messages), tests, test_trust, entry_point, language
                            (TRL GRPOTrainer; examples/code_reward.py is a reward function)
              verl          data_source, prompt, ability, reward_model, extra_info; the
                            ground truth is JSON: assert_case [+ inputs, outputs, fn_name]
                            (.json as JSON lines, or .parquet with pyarrow; never .jsonl)
              openrlhf-rl   input, label (JSON text of tests, entry_point) (OpenRLHF PPO)
            Response shapes: a solution that continues the prompt (completion-style) is exported as \
            its continuation after the prompt; a pair with a whole program of its own (what chat \
            models answer) gets the instruction prompt (the user message of trl-chat) and whole \
            programs as responses. The manifest counts both shapes; a pair with an empty response (a \
            solution that is its prompt alone) is left out and counted. Every line is read back and \
            checked (parses, no empty field, no repeated prompt) before the export is recorded in \
            `exports` with its sha256. A manifest (NAME.manifest.json) names the pair set or score \
            run with their parameters, the models, counts, quality statistics (chosen vs rejected \
            length, margins, pairs per problem, kinds, shapes), the files' sha256, the tool version \
            and the source database; the statistics are printed too. --hub DIR writes a folder \
            `datasets.load_dataset(DIR)` and the Hugging Face Hub read: DIR/data/<split>.<ext>, a \
            dataset card DIR/README.md (YAML front matter and provenance) and DIR/codedpo.manifest.json.

            Examples:
              codedpo export --pair-set v1 --format trl --out data/v1.jsonl
              codedpo export --pair-set v1 --format trl --out data/v1.jsonl --split 0.1 --shuffle --seed 7
              codedpo export --pair-set v1 --format kto --out data/v1-kto.jsonl --balance
              codedpo export --pair-set v1 --format llamafactory --out data/v1.jsonl --kind correctness
              codedpo export --pair-set v1 --format trl --hub hub/v1 --split 0.1 --license mit
              codedpo export --score-run 3 --format grpo --out rl/grpo.jsonl --min-tests 4
              codedpo export --score-run 3 --format verl --out rl/verl.parquet --split 0.1
              codedpo export --score-run 3 --format openrlhf-rl --hub hub/rl --license apache-2.0
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "The pair set (its name); RL formats take its score run.") var pairSet: String?
    @Option(name: .long, help: "RL formats: the score run whose trusted tests are exported.") var scoreRun: Int64?
    @Option(name: .long, help: "trl, trl-chat, kto, sft, llamafactory, openrlhf (pairs); grpo, verl, openrlhf-rl (RL).") var format: ExportFormat
    @Option(name: .long, help: "Output file (.jsonl; .json or .parquet for verl). Not with --hub.") var out: String?
    @Option(name: .long, help: ArgumentHelp("A Hugging Face Hub dataset folder: data/<split> files, README.md card, manifest.", valueName: "dir")) var hub: String?
    @Option(name: .long, help: "--hub: the card's license (a Hub license id, e.g. mit, apache-2.0).") var license = "other"
    @Option(name: .long, help: "Share of problems (0-1) in a validation file; the split is deterministic by problem.") var split: Double?
    @Option(name: .long, help: "Write at most this many pairs (RL: problems).") var limit: Int?
    @Flag(name: .long, help: "Shuffle the pairs or problems (deterministic with --seed).") var shuffle = false
    @Option(name: .long, help: "Seed of the shuffle and of the split.") var seed: UInt64 = 0
    @Option(name: .long, help: "Only pairs of this kind: correctness or efficiency (repeatable).") var kind: [String] = []
    @Flag(name: .long, help: "KTO: as many desirable as undesirable rows.") var balance = false
    @Flag(name: .long, help: "Keep pairs of problems that `codedpo decontaminate` found in a benchmark (left out by default).") var allowContaminated = false
    @Option(name: .long, help: "RL formats: leave out problems with fewer trusted tests than this.") var minTests = 4
    @Option(name: .customLong("report-format"), help: "Report format: table, csv, json or jsonl.") var reportFormat: OutputFormat = .table

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: ExportRequest {
        var request = ExportRequest(pairSet: pairSet, scoreRun: scoreRun, format: format.rawValue, out: out, hub: hub)
        request.license = license
        request.split = split
        request.limit = limit
        request.shuffle = shuffle
        request.seed = seed
        request.kinds = kind
        request.balance = balance
        request.allowContaminated = allowContaminated
        request.minTests = minTests
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
        if reportFormat == .table {
            print("")
            for line in report.statistics.summaryLines { print(line) }
        }
        if format == .kto {
            for file in report.files { Terminal.note("\(file.path): \(file.desirable) desirable, \(file.undesirable) undesirable") }
        }
        var also = report.extraFiles
        if let card = report.cardPath { also.insert(card, at: 0) }
        Terminal.note("manifest: \(report.manifestPath)" + (also.isEmpty ? "" : "; also \(also.joined(separator: ", "))"))
    }
}
