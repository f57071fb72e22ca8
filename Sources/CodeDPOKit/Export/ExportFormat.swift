/// Training-set formats, one per trainer people use.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// TRL's standard preference format: prompt / chosen / rejected strings (completion).
    case trl
    /// TRL's conversational preference format: lists of {"role", "content"} messages.
    case trlChat = "trl-chat"
    /// TRL's unpaired preference (KTO) format: prompt / completion / label.
    case kto
    /// Supervised fine-tuning on the chosen solutions: prompt / completion.
    case sft
    /// LLaMA-Factory's alpaca-style ranking data (instruction / input / chosen / rejected),
    /// plus its dataset_info.json entry.
    case llamafactory
    /// OpenRLHF's preference data: prompt / chosen / rejected / margin.
    case openrlhf
    /// TRL GRPOTrainer: a conversational prompt, and the trusted tests, entry point and
    /// language as extra columns the trainer hands to the reward functions.
    case grpo
    /// verl's RL rows: data_source, prompt (messages), ability, reward_model {style,
    /// ground_truth (JSON text)}, extra_info; written as .json (verl reads no .jsonl).
    case verl
    /// OpenRLHF PPO: an input key (the instruction) and a label key (the tests as JSON text).
    case openrlhfRL = "openrlhf-rl"

    /// The formats made from a pair set (one line per pair or per solution).
    public static let pairFormats: [ExportFormat] = [.trl, .trlChat, .kto, .sft, .llamafactory, .openrlhf]
    /// The formats made from problems and the trusted tests of a score run.
    public static let rlFormats: [ExportFormat] = [.grpo, .verl, .openrlhfRL]

    public var isRL: Bool { Self.rlFormats.contains(self) }

    /// The data files' extension: verl's loader takes .json (read as JSON lines by
    /// `datasets.load_dataset("json")`) or .parquet, never .jsonl.
    public var fileExtension: String { self == .verl ? "json" : "jsonl" }

    /// The trainer (a dataset card's tag) and the training method.
    public var trainerTags: [String] {
        switch self {
        case .trl, .trlChat, .openrlhf, .llamafactory: return [self == .llamafactory ? "llama-factory" : self == .openrlhf ? "openrlhf" : "trl", "dpo"]
        case .kto: return ["trl", "kto"]
        case .sft: return ["trl", "sft"]
        case .grpo: return ["trl", "grpo", "rlvr"]
        case .verl: return ["verl", "rlvr"]
        case .openrlhfRL: return ["openrlhf", "ppo", "rlvr"]
        }
    }

    /// The fields every line must have, non-empty.
    var fields: [String] {
        switch self {
        case .trl, .trlChat: return ["prompt", "chosen", "rejected"]
        case .kto: return ["prompt", "completion", "label"]
        case .sft: return ["prompt", "completion"]
        case .llamafactory: return ["instruction", "chosen", "rejected"]
        case .openrlhf: return ["prompt", "chosen", "rejected", "margin"]
        case .grpo: return ["prompt", "tests", "entry_point", "language"]
        case .verl: return ["data_source", "prompt", "ability", "reward_model", "extra_info"]
        case .openrlhfRL: return ["input", "label"]
        }
    }
}
