import Foundation

/// The stages a pipeline config can name, in the order they run.
public enum PipelineStage: String, CaseIterable, Sendable {
    case `import`, generate, execute, score, eval, efficiency, pairs, export, report
}

/// One command of a pipeline: the stage's own command line (the same flags as the CLI), plus
/// what it needs from earlier steps, which only exists once they ran (a score run id, a pair
/// set name).
public struct PipelineStep: Sendable, Equatable {
    public var stage: PipelineStage
    /// Where in the config it came from, for messages: "score[1]".
    public var location: String
    /// The command line without `--db` and without the references below: what `runs.argv`
    /// records, so a step reads like the stand-alone command it stands for.
    public var arguments: [String]
    /// import: the kind and the files; generate: what to generate (the command's arguments).
    public var positional: [String] = []
    /// The step's flags (without dashes; paths resolved), read into a typed request by
    /// `StepFlags`.
    public var flags: [StepFlag] = []
    /// efficiency, pairs: the score step (its `name`, or its strategy) whose score run to use.
    public var scoreRef: String?
    /// pairs: take the efficiency run of this pipeline.
    public var usesEfficiency = false
    /// pairs: the pair set name wanted; export: the pair set to write (default: the pairs step's).
    public var pairSet: String?
    /// score: the name other steps refer to it by.
    public var name: String?
}

/// One flag of a step, as the config gives it.
public struct StepFlag: Sendable, Equatable {
    public var key: String
    public var value: JSON
}

/// A pipeline config: which stages run and their parameters, in JSON.
///
/// Every stage is a key holding the stage's CLI flags without the dashes (`"timeout": 0.5` is
/// `--timeout 0.5`; `true` is a bare flag; a list repeats the flag). `import`, `generate`,
/// `score` and `export` take a list (one command each); the others one object. Relative paths
/// are relative to the config file. Keys other steps use: `score[].name`, `efficiency.score`,
/// `pairs.score`, `pairs.efficiency` (true), `pairs.name`, `export[].pair-set`.
public struct PipelineConfig: Sendable {
    public var database: String?
    public var steps: [PipelineStep]

    /// Flags whose values are file paths, resolved against the config's folder.
    static let pathKeys: Set<String> = ["files", "prompts", "out", "template"]

    public static func load(path: String) throws -> PipelineConfig {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError("cannot read the pipeline config \(path): check the path (an example: examples/pipeline.json)")
        }
        let json: JSON
        do {
            json = try JSON.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw StoreError("\(path) is not valid JSON: \(error)")
        }
        return try parse(json, file: path, folder: url.deletingLastPathComponent().path)
    }

    public static func parse(_ json: JSON, file: String, folder: String) throws -> PipelineConfig {
        guard let object = json.objectValue else {
            throw StoreError("\(file): the config must be a JSON object with one key per stage (\(PipelineStage.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var config = PipelineConfig(database: nil, steps: [])
        var byStage: [PipelineStage: JSON] = [:]
        for (key, value) in object {
            if key == "db" {
                guard let path = value.stringValue else { throw StoreError("\(file): \"db\" must be a path (a string)") }
                config.database = resolve(path, folder)
            } else if key.hasPrefix("//") || key == "comment" || key == "description" {
                continue
            } else if let stage = PipelineStage(rawValue: key) {
                byStage[stage] = value
            } else {
                throw StoreError("\(file): unknown key \"\(key)\": the stages are \(PipelineStage.allCases.map(\.rawValue).joined(separator: ", ")), plus \"db\"")
            }
        }
        for stage in PipelineStage.allCases {
            guard let value = byStage[stage] else { continue }
            let entries: [JSON]
            switch value {
            case .array(let list): entries = list
            case .object: entries = [value]
            default: throw StoreError("\(file): \"\(stage.rawValue)\" must be an object of flags (or a list of them)")
            }
            for (index, entry) in entries.enumerated() {
                let location = entries.count > 1 || value.arrayValue != nil ? "\(stage.rawValue)[\(index)]" : stage.rawValue
                config.steps.append(try step(stage, entry, location: "\(file): \(location)", folder: folder))
            }
        }
        if config.steps.isEmpty { throw StoreError("\(file): no stages: add at least one of \(PipelineStage.allCases.map(\.rawValue).joined(separator: ", "))") }
        try config.checkReferences()
        return config
    }

    static func resolve(_ path: String, _ folder: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: folder).appendingPathComponent(path).standardizedFileURL.path
    }

    static func step(_ stage: PipelineStage, _ entry: JSON, location: String, folder: String) throws -> PipelineStep {
        guard let fields = entry.objectValue else { throw StoreError("\(location) must be an object of flags") }
        var step = PipelineStep(stage: stage, location: location, arguments: [stage.rawValue])
        var positional: [String] = []
        for (key, value) in fields {
            switch (stage, key) {
            case (.import, "kind"), (.generate, "what"):
                guard let text = value.stringValue else { throw StoreError("\(location): \"\(key)\" must be a string") }
                positional.insert(text, at: 0)
                continue
            case (.import, "files"):
                let files = value.arrayValue?.compactMap(\.stringValue) ?? value.stringValue.map { [$0] } ?? []
                if files.isEmpty { throw StoreError("\(location): \"files\" must name at least one file") }
                positional += files.map { resolve($0, folder) }
                continue
            case (.score, "name"):
                step.name = value.stringValue
                continue
            case (.efficiency, "score"), (.pairs, "score"):
                guard let text = value.stringValue else { throw StoreError("\(location): \"score\" names a score step (its name or strategy)") }
                step.scoreRef = text
                continue
            case (.pairs, "efficiency"):
                step.usesEfficiency = value.boolValue ?? false
                continue
            case (.pairs, "name"), (.export, "pair-set"):
                step.pairSet = value.stringValue
                continue
            case (_, "db"):
                throw StoreError("\(location): \"db\" belongs at the top of the config (one database per pipeline)")
            case (.efficiency, "score-run"), (.pairs, "score-run"), (.pairs, "efficiency-run"):
                throw StoreError("\(location): \"\(key)\" is filled in by the pipeline; name the score step with \"score\" instead")
            default:
                break
            }
            step.arguments += try flag(key, value, location: location, folder: folder)
            step.flags.append(StepFlag(key: key, value: resolved(key, value, folder)))
        }
        if stage == .import && (fields.first { $0.0 == "kind" } == nil || fields.first { $0.0 == "files" } == nil) {
            throw StoreError("\(location): an import needs \"kind\" (seeds, problems, solutions or tests) and \"files\"")
        }
        if stage == .generate && positional.isEmpty { throw StoreError("\(location): a generate step needs \"what\": problems, solutions or tests") }
        step.arguments.insert(contentsOf: positional, at: 1)
        step.positional = positional
        return step
    }

    /// A flag's value with paths resolved against the config's folder.
    static func resolved(_ key: String, _ value: JSON, _ folder: String) -> JSON {
        guard pathKeys.contains(key) else { return value }
        switch value {
        case .string(let s): return .string(resolve(s, folder))
        case .array(let list): return .array(list.map { resolved(key, $0, folder) })
        default: return value
        }
    }

    static func flag(_ key: String, _ value: JSON, location: String, folder: String) throws -> [String] {
        let name = "--" + key
        func text(_ value: JSON) throws -> String {
            switch value {
            case .string(let s): return pathKeys.contains(key) ? resolve(s, folder) : s
            case .int(let i): return String(i)
            case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            default: throw StoreError("\(location): \"\(key)\" takes a string, a number, true, or a list of those")
            }
        }
        switch value {
        case .bool(true): return [name]
        case .bool(false), .null: return []
        case .array(let list): return try list.flatMap { [name, try text($0)] }
        default: return [name, try text(value)]
        }
    }

    /// A reference to a score step or pair set that no step defines is a mistake to report
    /// before anything runs.
    func checkReferences() throws {
        let scoreNames = steps.filter { $0.stage == .score }.flatMap { step -> [String] in
            var names = step.name.map { [$0] } ?? []
            if let index = step.arguments.firstIndex(of: "--strategy"), index + 1 < step.arguments.count { names.append(step.arguments[index + 1]) }
            if step.arguments.contains("--all-strategies") { names += ScoreRequest.strategyNames }
            return names
        }
        for step in steps where step.stage == .efficiency || step.stage == .pairs {
            guard let ref = step.scoreRef else { throw StoreError("\(step.location): say which score step to use: \"score\": \"<its name or strategy>\"") }
            if !scoreNames.contains(ref) {
                throw StoreError("\(step.location): no score step is named or scores with \"\(ref)\" (have: \(scoreNames.joined(separator: ", ")))")
            }
            if step.usesEfficiency && !steps.contains(where: { $0.stage == .efficiency }) {
                throw StoreError("\(step.location): \"efficiency\": true needs an efficiency stage")
            }
        }
        let pairsSteps = steps.filter { $0.stage == .pairs }
        for step in steps where step.stage == .export {
            if step.pairSet == nil && pairsSteps.isEmpty {
                throw StoreError("\(step.location): name the pair set to export (\"pair-set\") or add a pairs stage")
            }
        }
        for step in pairsSteps where step.pairSet == nil {
            throw StoreError("\(step.location): give the pair set a \"name\"")
        }
    }
}
