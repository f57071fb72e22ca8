import Foundation

/// Seeds from a directory of source files (a git checkout or not): Python files become one
/// seed per top-level function and class, other files one seed each.
struct SeedScanner {
    let importer: Importer

    static let languages: [String: String] = [
        "py": "python", "js": "javascript", "ts": "typescript", "go": "go", "rs": "rust", "java": "java",
        "c": "c", "h": "c", "cc": "cpp", "cpp": "cpp", "hpp": "cpp", "swift": "swift", "rb": "ruby",
        "kt": "kotlin", "scala": "scala", "cs": "csharp", "php": "php", "sh": "shell", "lua": "lua",
    ]

    /// Shell-style glob on a relative path: `*` does not cross '/', `**` does, `?` is one character.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        var regex = "^"
        var chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "*" {
                if i + 1 < chars.count && chars[i + 1] == "*" {
                    regex += ".*"
                    i += 1
                    if i + 1 < chars.count && chars[i + 1] == "/" { i += 1; regex += "/?" }
                } else {
                    regex += "[^/]*"
                }
            } else if c == "?" {
                regex += "[^/]"
            } else {
                regex += NSRegularExpression.escapedPattern(for: String(c))
            }
            i += 1
        }
        chars.removeAll()
        regex += "$"
        // A pattern without '/' matches the file name anywhere, as .gitignore does.
        let subject = pattern.contains("/") ? path : String(path.split(separator: "/").last ?? "")
        return subject.range(of: regex, options: .regularExpression) != nil
    }

    static func git(_ arguments: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    func importDirectory(_ root: String, report initial: ImportReport.File) throws -> ImportReport.File {
        var report = initial
        let options = importer.options
        let base = URL(fileURLWithPath: root).standardizedFileURL
        let topLevel = Self.git(["rev-parse", "--show-toplevel"], in: base.path)
        let commit = topLevel.flatMap { Self.git(["rev-parse", "HEAD"], in: $0) }
        let repository = topLevel.map { Self.git(["config", "--get", "remote.origin.url"], in: $0) ?? $0 }
        if let topLevel { report.notes.append("git checkout \(repository ?? topLevel) at \(commit ?? "no commit")") }

        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw ImportError(message: "\(root): cannot list the directory")
        }
        var files: [(relative: String, url: URL)] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(base.path.count).drop { $0 == "/" })
            if !options.include.isEmpty && !options.include.contains(where: { Self.matches($0, relative) }) { continue }
            if options.exclude.contains(where: { Self.matches($0, relative) }) { continue }
            guard Self.languages[url.pathExtension.lowercased()] != nil || !options.include.isEmpty else { continue }
            files.append((relative, url))
        }
        files.sort { $0.relative < $1.relative }
        var skipped = 0
        for (relative, url) in files {
            report.items += 1
            let language = Self.languages[url.pathExtension.lowercased()] ?? (url.pathExtension.isEmpty ? "text" : url.pathExtension.lowercased())
            guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8), !text.contains("\u{0}") else {
                skipped += 1
                continue
            }
            let source = try importer.fileSource(path: url.path, repository: repository, commit: commit)
            let locatorPath = topLevel.map { String(url.standardizedFileURL.path.dropFirst($0.count).drop { $0 == "/" }) } ?? relative
            var seeds: [SeedRecord] = []
            if language == "python" {
                let reply = try importer.helper().call(.object([("op", "seeds"), ("content", .string(text))]))
                if let error = reply["error"]?.stringValue {
                    report.notes.append("\(relative): \(error); kept as one whole-file seed")
                } else {
                    for entry in reply["seeds"]?.arrayValue ?? [] {
                        seeds.append(SeedRecord(content: entry["content"]?.stringValue ?? "", language: language,
                                                kind: entry["kind"]?.stringValue ?? "function", name: entry["name"]?.stringValue,
                                                path: locatorPath, startLine: entry["start_line"]?.intValue.map(Int.init),
                                                endLine: entry["end_line"]?.intValue.map(Int.init), metadata: nil, locator: nil))
                    }
                    if seeds.isEmpty { continue }  // a Python file with no function or class: nothing to learn from
                }
            }
            if seeds.isEmpty {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
                seeds.append(SeedRecord(content: text, language: language, kind: "file", name: url.lastPathComponent,
                                        path: locatorPath, startLine: 1, endLine: lines, metadata: nil, locator: nil))
            }
            for var seed in seeds {
                let content = Normalize.text(seed.content)
                guard !content.isEmpty else { continue }
                seed.locator = "\(locatorPath)#L\(seed.startLine ?? 1)-L\(seed.endLine ?? 1)"
                try importer.writeSeed(seed, content: content, hash: Normalize.hash(content), sourceID: source.id,
                                       locator: seed.locator!, report: &report)
            }
        }
        if skipped > 0 { report.notes.append("\(skipped) file(s) skipped: not UTF-8 text") }
        return report
    }
}
