import Foundation
import XCTest

/// The manual stays complete: every command and subcommand the binary has has a page
/// (docs/commands/<command>[-<subcommand>].md; a group's default subcommand is on the group's
/// page), the page names every option its help lists, and every help has an example.
final class DocsCLITests: XCTestCase {
    static let pages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/commands")

    /// The subcommands a help text lists, with whether each is the default.
    static func subcommands(_ help: String) -> [(name: String, isDefault: Bool)] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var result: [(String, Bool)] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            // "  name (default)    abstract": a name starts two spaces in; continuation lines are deeper.
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let words = line.split(separator: " ")
            guard let name = words.first else { continue }
            result.append((String(name), words.dropFirst().first == "(default)"))
        }
        return result
    }

    /// Every `--option` of a help's OPTIONS section, but --help and --version.
    static func options(_ help: String) -> [String] {
        guard let start = help.range(of: "OPTIONS:\n") else { return [] }
        let section = help[start.upperBound...].prefix { _ in true }
        let pattern = try! NSRegularExpression(pattern: #"^  (?:-\w, )?(--[a-z0-9-]+)"#, options: .anchorsMatchLines)
        let text = String(section)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }.filter { $0 != "--help" && $0 != "--version" }
    }

    func help(_ path: [String]) throws -> String {
        let result = try CLI.run(path + ["--help"])
        XCTAssertEqual(result.status, 0, "codedpo \(path.joined(separator: " ")) --help: \(result.stderr)")
        return result.stdout
    }

    func testEveryCommandHasAPageNamingEveryOptionAndAHelpWithAnExample() throws {
        var missing: [String] = [], noExample: [String] = [], undocumented: [String] = []
        var checked = 0
        func visit(_ path: [String], page: String?) throws {
            let text = try help(path)
            let children = Self.subcommands(text)
            let pageName = page ?? path.joined(separator: "-")
            let file = Self.pages.appendingPathComponent(pageName + ".md")
            let body = try? String(contentsOf: file, encoding: .utf8)
            if body == nil { missing.append("docs/commands/\(pageName).md (codedpo \(path.joined(separator: " ")))") }
            // A group lists its subcommands; they (the default one too) carry the examples.
            if children.isEmpty && !text.contains("Example") {
                noExample.append("codedpo \(path.joined(separator: " "))")
            }
            if let body {
                for option in Self.options(text) where !body.contains(option) {
                    undocumented.append("\(option) of codedpo \(path.joined(separator: " ")) in \(pageName).md")
                }
            }
            checked += 1
            for child in children where child.name != "help" {
                try visit(path + [child.name], page: child.isDefault ? pageName : nil)
            }
        }
        for command in Self.subcommands(try help([])) where command.name != "help" {
            try visit([command.name], page: nil)
        }
        XCTAssertGreaterThan(checked, 20, "the scan found too few commands: is the help format still the same?")
        XCTAssertEqual(missing, [], "every command needs a manual page: run scripts/docs.py NAME (after swift build -c release) and say what it does")
        XCTAssertEqual(noExample, [], "every command's help needs an example (\"Examples:\" in its discussion)")
        XCTAssertEqual(undocumented, [], "a page must name every option: run scripts/docs.py to refresh its reference block")
    }

    func testTheScanReadsTheHelpFormat() {
        let help = """
            OVERVIEW: x

            OPTIONS:
              --db <path>             Database file.
              -n, --samples <n>       Samples.
              -h, --help              Show help information.

            SUBCOMMANDS:
              run (default)           Time the solutions that pass a score run's trusted
                                      tests.
              compare                 Kendall's tau.

            """
        XCTAssertEqual(Self.options(help), ["--db", "--samples"])
        XCTAssertEqual(Self.subcommands(help).map(\.name), ["run", "compare"])
        XCTAssertEqual(Self.subcommands(help).map(\.isDefault), [true, false])
    }
}
