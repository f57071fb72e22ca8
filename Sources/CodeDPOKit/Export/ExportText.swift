/// How a row's response relates to its prompt.
public enum ResponseShape: String, CaseIterable, Sendable {
    /// The response continues the prompt (a base model's completion of a function header).
    case completion
    /// The prompt is an instruction and the response a whole program (a chat model's answer).
    case instruction
}

/// One pair as the exporter needs it.
public struct PairRecord: Sendable {
    public var pairID: Int64
    public var problem: String
    public var prompt: String
    public var entryPoint: String?
    public var kind: String
    public var chosen: String
    public var rejected: String
    public var margin: Double
}

/// Prompt / response boundaries, pure. A solution stored as prompt + completion becomes the
/// completion alone, so trainers that concatenate prompt and response see the prompt once.
public enum ExportText {
    public static func completion(code: String, prompt: String, entryPoint: String? = nil) -> String {
        // A whole program that does not continue any prompt (a chat model's answer), or one
        // that continues it with nothing: the program is the response.
        guard let rest = continuation(code: code, prompt: prompt, entryPoint: entryPoint),
              !rest.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return code }
        return rest
    }

    /// What the code adds after the prompt ("" when nothing), or nil when it does not
    /// continue the prompt at all.
    static func continuation(code: String, prompt: String, entryPoint: String?) -> String? {
        let normalizedPrompt = Normalize.text(prompt)
        if !normalizedPrompt.isEmpty, code.hasPrefix(normalizedPrompt) { return String(code.dropFirst(normalizedPrompt.count)) }
        if !prompt.isEmpty, code.hasPrefix(prompt) { return String(code.dropFirst(prompt.count)) }
        // The code continues another version of the prompt (CodeT removed the docstring's
        // examples): the completion starts after the entry point's signature and docstring.
        if let entryPoint, let body = afterSignatureAndDocstring(code, entryPoint: entryPoint) { return body }
        return nil
    }

    /// The text after `def entry_point(...)` and its docstring, or nil when there is no such
    /// header followed by a docstring.
    static func afterSignatureAndDocstring(_ code: String, entryPoint: String) -> String? {
        let lines = code.split(separator: "\n", omittingEmptySubsequences: false)
        guard let def = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("def \(entryPoint)(") }) else { return nil }
        var index = def
        // The signature may span lines: it ends at the line ending with ':'.
        while index < lines.count && !lines[index].trimmingCharacters(in: .whitespaces).hasSuffix(":") { index += 1 }
        index += 1
        while index < lines.count && lines[index].trimmingCharacters(in: .whitespaces).isEmpty { index += 1 }
        guard index < lines.count else { return nil }
        let first = lines[index].trimmingCharacters(in: .whitespaces)
        let quotes = ["\"\"\"", "'''"]
        guard let quote = quotes.first(where: { first.hasPrefix($0) || first.hasPrefix("r" + $0) }) else { return nil }
        let afterOpen = first.dropFirst(first.hasPrefix("r") ? 4 : 3)
        if !afterOpen.contains(quote) {
            index += 1
            while index < lines.count && !lines[index].contains(quote) { index += 1 }
            guard index < lines.count else { return nil }
        }
        return lines[(index + 1)...].joined(separator: "\n")
    }

    /// How the instruction prompt starts (it tells the checks that a prompt is an instruction).
    static let instructionLead = "Complete the following Python function."

    /// The user message of the conversational formats, and the prompt of instruction-style rows.
    public static func instruction(prompt: String) -> String {
        "\(instructionLead) Answer with the whole function in one Python code block.\n\n```python\n\(prompt.hasSuffix("\n") ? prompt : prompt + "\n")```"
    }

    static func isInstruction(_ prompt: String) -> Bool { prompt.hasPrefix(instructionLead) }

    /// The assistant message: the whole program in a fenced block.
    public static func answer(code: String) -> String {
        "```python\n\(code.hasSuffix("\n") ? code : code + "\n")```"
    }

    static func messages(_ role: String, _ content: String) -> JSON { .array([.object([("role", .string(role)), ("content", .string(content))])]) }

    /// A pair's prompt and responses as a trainer reads them. Completion-style when both
    /// solutions continue the prompt (the responses are the continuations); otherwise
    /// instruction-style: at least one is a whole program of its own (what chat models
    /// answer), so the prompt is the instruction and both responses are whole programs.
    /// A completion may be empty (a sample that stopped right after the header): the exporter
    /// leaves such pairs out.
    public static func texts(_ pair: PairRecord) -> (shape: ResponseShape, prompt: String, chosen: String, rejected: String) {
        if let chosen = continuation(code: pair.chosen, prompt: pair.prompt, entryPoint: pair.entryPoint),
           let rejected = continuation(code: pair.rejected, prompt: pair.prompt, entryPoint: pair.entryPoint) {
            return (.completion, pair.prompt, chosen, rejected)
        }
        return (.instruction, instruction(prompt: pair.prompt), answer(code: pair.chosen), answer(code: pair.rejected))
    }

    /// The JSON lines of one pair in a format (KTO gives two: desirable and undesirable).
    public static func lines(_ pair: PairRecord, format: ExportFormat) -> [JSON] {
        lines(pair, texts: texts(pair), format: format)
    }

    static func lines(_ pair: PairRecord, texts: (shape: ResponseShape, prompt: String, chosen: String, rejected: String), format: ExportFormat) -> [JSON] {
        let (_, prompt, chosen, rejected) = texts
        switch format {
        case .trl:
            return [.object([("prompt", .string(prompt)), ("chosen", .string(chosen)), ("rejected", .string(rejected))])]
        case .trlChat:
            return [.object([("prompt", messages("user", instruction(prompt: pair.prompt))),
                             ("chosen", messages("assistant", answer(code: pair.chosen))),
                             ("rejected", messages("assistant", answer(code: pair.rejected)))])]
        case .kto:
            return [.object([("prompt", .string(prompt)), ("completion", .string(chosen)), ("label", .bool(true))]),
                    .object([("prompt", .string(prompt)), ("completion", .string(rejected)), ("label", .bool(false))])]
        case .sft:
            return [.object([("prompt", .string(prompt)), ("completion", .string(chosen))])]
        case .llamafactory:
            return [.object([("instruction", .string(prompt)), ("input", ""), ("chosen", .string(chosen)), ("rejected", .string(rejected))])]
        case .openrlhf:
            return [.object([("prompt", .string(prompt)), ("chosen", .string(chosen)), ("rejected", .string(rejected)), ("margin", .double(pair.margin))])]
        case .grpo, .verl, .openrlhfRL:
            preconditionFailure("\(format.rawValue) is made from problems and tests (RLRows), not pairs")
        }
    }

    /// Checks one written line: it parses, has every field non-empty, and (completion
    /// formats) the response does not repeat the prompt. Returns what is wrong, or nil.
    public static func problem(in line: String, format: ExportFormat) -> String? {
        guard let object = try? JSON.parse(line), case .object = object else { return "not a JSON object" }
        for field in format.fields {
            guard let value = object[field] else { return "missing \"\(field)\"" }
            switch value {
            case .string(let text) where text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty: return "\"\(field)\" is empty"
            case .array(let items) where items.isEmpty: return "\"\(field)\" is empty"
            case .null: return "\"\(field)\" is null"
            default: break
            }
        }
        if format == .trlChat {
            for field in ["prompt", "chosen", "rejected"] {
                guard let messages = object[field]?.arrayValue, messages.allSatisfy({ $0["role"]?.stringValue != nil && !($0["content"]?.stringValue ?? "").isEmpty }) else {
                    return "\"\(field)\" must be a list of {role, content} messages"
                }
            }
            let user = object["prompt"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            for field in ["chosen", "rejected"] where (object[field]?.arrayValue?.first?["content"]?.stringValue ?? "").contains(user) {
                return "\"\(field)\" repeats the user message"
            }
            return nil
        }
        if format.isRL { return RLRows.problem(in: object, format: format) }
        let promptField = format == .llamafactory ? "instruction" : "prompt"
        let rawPrompt = object[promptField]?.stringValue ?? ""
        let prompt = Normalize.text(rawPrompt)
        // The prompt's own `def name(` line, if it has one: a response whose top level
        // repeats it carries the prompt inside it.
        // An instruction prompt asks for the whole program: its `def` line belongs in the answer.
        let signature = isInstruction(rawPrompt) ? nil : rawPrompt.split(separator: "\n").last { $0.hasPrefix("def ") }
            .map { String($0.prefix { $0 != "(" }) + "(" }
        for field in ["chosen", "rejected", "completion"] {
            guard let text = object[field]?.stringValue else { continue }
            if prompt.count > 20, text.hasPrefix(prompt) || text.hasPrefix(rawPrompt) {
                return "\"\(field)\" starts with the prompt (the trainer would see it twice)"
            }
            if let signature, text.split(separator: "\n").contains(where: { $0.hasPrefix(signature) }) {
                return "\"\(field)\" repeats the prompt's `\(signature)` line"
            }
        }
        return nil
    }
}
