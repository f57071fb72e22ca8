import Foundation

/// One benchmark problem as decontamination matches against it.
public struct BenchmarkItem: Sendable, Equatable {
    public var externalID: String
    public var prompt: String
    /// The task's description: the prompt's docstring, or the whole prompt when it is text.
    public var docstring: String?
    public var solution: String?
}

/// Reads benchmark files in their own formats, one JSON object a line (.gz accepted):
/// HumanEval / HumanEval+ (task_id, prompt, canonical_solution), MBPP+ (prompt is a
/// docstring), original MBPP (text, code), CodeT's MBPP files, or any JSONL with a prompt
/// (prompt / text / description / question) and a solution (canonical_solution / solution /
/// code / completion).
public enum BenchmarkFile {
    public static let promptFields = ["prompt", "text", "description", "question"]
    public static let solutionFields = ["canonical_solution", "solution", "code", "completion"]

    /// A name for a benchmark file: its file name without extensions (HumanEval.jsonl.gz -> HumanEval).
    public static func defaultName(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        for suffix in [".gz", ".jsonl", ".json"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name
    }

    /// Every item of the file; a line that is not a benchmark item stops the read with an
    /// error naming the file and line (nothing is stored by the caller).
    public static func read(_ path: String) throws -> [BenchmarkItem] {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError("benchmark file \(path): no such file") }
        let reader = try LineReader(path: path)
        var items: [BenchmarkItem] = []
        var seen = Set<String>()
        while let item = try reader.next({ line -> BenchmarkItem? in
            guard case .text(let bytes) = line else {
                throw StoreError("\(path):\(reader.lineNumber): line too long to be a benchmark item")
            }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
            let json: JSON
            do {
                json = try JSON.parse(bytes: bytes)
            } catch let error as JSONParseError {
                throw StoreError("\(path):\(reader.lineNumber): invalid JSON: \(error.description). Fix the line; nothing was stored.")
            }
            do {
                return try item(json, line: reader.lineNumber)
            } catch let bad as BadItem {
                throw StoreError("\(path):\(reader.lineNumber): \(bad.message). Nothing was stored.")
            }
        }) {
            guard let item else { continue }
            guard seen.insert(item.externalID).inserted else {
                throw StoreError("\(path):\(reader.lineNumber): id \"\(item.externalID)\" appears twice. Nothing was stored.")
            }
            items.append(item)
        }
        guard !items.isEmpty else { throw StoreError("benchmark file \(path) has no items") }
        return items
    }

    static func item(_ json: JSON, line: Int) throws -> BenchmarkItem {
        guard case .object = json else { throw BadItem("expected a JSON object, found \(json.typeName)") }
        var id = "line \(line)"
        for key in ["task_id", "id", "name"] {
            guard let value = json[key], !value.isNull else { continue }
            if let text = value.stringValue { id = text } else if let number = value.intValue { id = String(number) } else {
                throw BadItem("field \"\(key)\" must be a string or a number, found \(value.typeName)")
            }
            break
        }
        func field(_ names: [String]) throws -> String? {
            for name in names {
                guard let value = json[name], !value.isNull else { continue }
                guard let text = value.stringValue else { throw BadItem("field \"\(name)\" must be a string, found \(value.typeName)") }
                return text
            }
            return nil
        }
        let prompt = try field(promptFields) ?? ""
        let solution = try field(solutionFields)
        guard !prompt.isEmpty || !(solution ?? "").isEmpty else {
            throw BadItem("no prompt (\(promptFields.joined(separator: "/"))) and no solution (\(solutionFields.joined(separator: "/"))) to match against")
        }
        return BenchmarkItem(externalID: id, prompt: prompt, docstring: docstring(of: prompt), solution: solution)
    }

    /// The last triple-quoted string of a prompt (HumanEval's docstring, MBPP+'s task text);
    /// a prompt without one is itself the description when it is not code.
    public static func docstring(of prompt: String) -> String? {
        for quote in ["\"\"\"", "'''"] {
            guard let close = prompt.range(of: quote, options: .backwards),
                  let open = prompt.range(of: quote, options: .backwards, range: prompt.startIndex..<close.lowerBound) else { continue }
            let inside = prompt[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            if !inside.isEmpty { return inside }
        }
        let trimmed = prompt.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.contains("def ") || trimmed.contains("import ") { return nil }
        return trimmed
    }
}
