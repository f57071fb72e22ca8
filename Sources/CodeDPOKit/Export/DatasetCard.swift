/// A Hugging Face Hub dataset card (README.md), pure: YAML front matter that `load_dataset(DIR)`
/// and the Hub read (configs with data_files per split, license, task categories, tags, size
/// category), then a body with the provenance and the quality statistics.
public enum DatasetCard {
    /// The Hub's size_categories bucket of a row count.
    public static func sizeCategory(_ rows: Int) -> String {
        switch rows {
        case ..<1_000: return "n<1K"
        case ..<10_000: return "1K<n<10K"
        case ..<100_000: return "10K<n<100K"
        case ..<1_000_000: return "100K<n<1M"
        case ..<10_000_000: return "1M<n<10M"
        default: return "10M<n<100M"
        }
    }

    /// YAML scalars are quoted when they could read as something else.
    static func yaml(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_./".unicodeScalars.contains($0) }
        return plain && !text.isEmpty && !["true", "false", "null", "yes", "no"].contains(text.lowercased()) ? text : JSON.string(text).text
    }

    /// - Parameters:
    ///   - title: the card's heading (the pair set or score run).
    ///   - files: split name and path relative to the card's folder, in order.
    public static func markdown(title: String, format: ExportFormat, license: String, files: [(split: String, path: String, rows: Int)],
                                manifest: ExportManifest, statistics: ExportStatistics) -> String {
        let rows = files.reduce(0) { $0 + $1.rows }
        var out = "---\n"
        out += "license: \(yaml(license))\n"
        out += "task_categories:\n- text-generation\n"
        out += "language:\n- en\n"
        out += "tags:\n" + (["code", "codedpo"] + format.trainerTags).map { "- \(yaml($0))\n" }.joined()
        out += "size_categories:\n- \(yaml(sizeCategory(rows)))\n"
        out += "configs:\n- config_name: default\n  data_files:\n"
        for file in files { out += "  - split: \(yaml(file.split))\n    path: \(yaml(file.path))\n" }
        out += "---\n\n"
        out += "# \(title)\n\n"
        out += "Code \(format.isRL ? "problems with the tests trusted by a score run (reinforcement learning with verifiable rewards)" : "preference data")"
        out += ", in the `\(format.rawValue)` format (\(usage(format))), made by codedpo \(manifest["tool_version"]?.stringValue ?? "").\n\n"
        out += "| split | file | rows |\n|---|---|---|\n"
        for file in files { out += "| \(file.split) | `\(file.path)` | \(file.rows) |\n" }
        out += "\n## Provenance\n\n"
        if let pairSet = manifest["pair_set"], !pairSet.isNull {
            out += "- pair set `\(pairSet["name"]?.stringValue ?? "")`, policy `\(pairSet["policy"]?.text ?? "{}")`\n"
        }
        if let score = manifest["score_run"] {
            out += "- score run \(score["id"]?.text ?? "?"): strategy `\(score["strategy"]?.stringValue ?? "")`, parameters `\(score["parameters"]?.text ?? "null")`, execution config \(score["execution_config"]?.text ?? "?")\n"
        }
        if let efficiency = manifest["efficiency_run"], !efficiency.isNull {
            out += "- efficiency run \(efficiency["id"]?.text ?? "?"): method `\(efficiency["method"]?.stringValue ?? "")`, \(efficiency["repeat"]?.text ?? "?") repetitions\n"
        }
        if let models = manifest["models"]?.arrayValue, !models.isEmpty {
            out += "- models: " + models.compactMap(\.stringValue).map { "`\($0)`" }.joined(separator: ", ") + "\n"
        }
        if let rl = manifest["rl"], !rl.isNull {
            out += "- tests: the generated tests the top-scored solution passes, each with its trust score; problems with fewer than \(rl["min_tests"]?.text ?? "?") trusted tests are left out\n"
        }
        if let check = manifest["decontamination"], !check.isNull {
            out += "- benchmarks: " + decontaminationLine(check) + "\n"
        }
        out += "- export options `\(manifest["options"]?.text ?? "{}")`\n"
        out += "\n## Quality statistics\n\n"
        out += statistics.summaryLines.map { "- \($0)\n" }.joined()
        out += "\nThe full manifest (sha256 of every file, all parameters) is `codedpo.manifest.json` beside this card.\n"
        return out
    }

    /// What `codedpo decontaminate` removed from (or, with --allow-contaminated, kept in) the
    /// exported problems, from the manifest's `decontamination` section.
    static func decontaminationLine(_ check: JSON) -> String {
        guard let run = check["decontamination_run"], !run.isNull else {
            return "not checked against benchmarks (no `codedpo decontaminate` run)"
        }
        let parameters = check["parameters"].map { $0.isNull ? "" : ", parameters `\($0.text)`" } ?? ""
        if let kept = check["contaminated_problems_kept"] {
            return "decontamination run \(run.text)\(parameters): \(kept.text) contaminated problem(s) kept (--allow-contaminated)"
        }
        return "decontamination run \(run.text)\(parameters): \(check["contaminated_problems_removed"]?.text ?? "0") contaminated problem(s) removed"
    }

    static func usage(_ format: ExportFormat) -> String {
        switch format {
        case .trl: return "TRL DPOTrainer, standard prompt / chosen / rejected"
        case .trlChat: return "TRL DPOTrainer, conversational messages"
        case .kto: return "TRL KTOTrainer, prompt / completion / label"
        case .sft: return "TRL SFTTrainer, prompt / completion of the chosen solutions"
        case .llamafactory: return "LLaMA-Factory ranking data"
        case .openrlhf: return "OpenRLHF DPO, prompt / chosen / rejected / margin"
        case .grpo: return "TRL GRPOTrainer: prompt plus tests, entry_point, language for the reward function"
        case .verl: return "verl RL rows with reward_model.ground_truth"
        case .openrlhfRL: return "OpenRLHF PPO, input / label"
        }
    }
}
