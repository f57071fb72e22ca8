import XCTest

/// The layering rule of DESIGN.md, checked on the source: a stage knows Store, Support, Output
/// and the shared Vocabulary, never another stage's types. What two stages both need moves to
/// Vocabulary/ (see Vocabulary/Vocabulary.swift).
final class LayeringTests: XCTestCase {
    /// Folders every stage may use.
    static let shared: Set<String> = ["Store", "Support", "Output", "Vocabulary"]
    /// Folders above the stages, which compose them and may name any of them: the pipeline
    /// runner (`run --config`), the benchmarks of stages, and the report (it reads every
    /// stage's results and writes nothing). Nothing below may name them.
    static let composers: Set<String> = ["Pipeline", "Bench", "Report"]

    static var kit: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CodeDPOKit")
    }

    /// Top-level type names declared in each folder of the library.
    static func declarations() throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        let pattern = try NSRegularExpression(pattern: #"^(?:public |internal |final |open )*(?:struct|enum|class|protocol|actor|typealias) +(\w+)"#,
                                              options: .anchorsMatchLines)
        for folder in try folders() {
            for (_, text) in try swiftFiles(folder) {
                let range = NSRange(text.startIndex..., in: text)
                for match in pattern.matches(in: text, range: range) {
                    result[folder, default: []].insert(String(text[Range(match.range(at: 1), in: text)!]))
                }
            }
        }
        return result
    }

    static func folders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: kit.path).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: kit.appendingPathComponent($0).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    static func swiftFiles(_ folder: String) throws -> [(String, String)] {
        let url = kit.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".swift") }.sorted().map {
            ("\(folder)/\($0)", try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8))
        }
    }

    /// Code without comments and string literals, so a type named in prose or SQL is no use.
    static func code(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let comment = line.range(of: "//") else { return line }
            return line[..<comment.lowerBound]
        }.joined(separator: "\n")
    }

    func testNoStageNamesAnotherStagesTypes() throws {
        let declared = try Self.declarations()
        XCTAssertFalse(declared["Vocabulary", default: []].isEmpty, "the scan found no Vocabulary types: is \(Self.kit.path) the library?")
        var violations: [String] = []
        for folder in try Self.folders() where !Self.shared.contains(folder) && !Self.composers.contains(folder) {
            for (file, text) in try Self.swiftFiles(folder) {
                let source = Self.code(text)
                for (other, names) in declared where other != folder && !Self.shared.contains(other) {
                    for name in names.sorted() where declared[folder, default: []].contains(name) == false {
                        if source.range(of: #"\b\#(name)\b"#, options: .regularExpression) != nil {
                            violations.append("\(file) names \(name), declared in \(other)/")
                        }
                    }
                }
            }
        }
        XCTAssertEqual(violations, [], """
            a stage names another stage's types; move what both need to Vocabulary/ (or, for orchestration, \
            to Pipeline/) so stages stay re-runnable on their own
            """)
    }

    /// Store, Support, Output and Vocabulary are below every stage: they name none.
    func testSharedFoldersNameNoStage() throws {
        let declared = try Self.declarations()
        var violations: [String] = []
        for folder in Self.shared {
            for (file, text) in try Self.swiftFiles(folder) {
                let source = Self.code(text)
                for (other, names) in declared where !Self.shared.contains(other) {
                    for name in names.sorted() where source.range(of: #"\b\#(name)\b"#, options: .regularExpression) != nil {
                        violations.append("\(file) names \(name), declared in \(other)/")
                    }
                }
            }
        }
        XCTAssertEqual(violations, [])
    }

    /// The scan itself: a stage file naming a type of another stage is caught.
    func testTheScanCatchesACrossing() throws {
        let declared = try Self.declarations()
        XCTAssertTrue(declared["Scoring", default: []].contains("ScoreRunner"))
        let crossing = Self.code("let runner = ScoreRunner(db: db) // ScoreRunner in a comment does not count")
        XCTAssertNotNil(crossing.range(of: #"\bScoreRunner\b"#, options: .regularExpression))
        XCTAssertNil(Self.code("// only ScoreRunner in a comment").range(of: #"\bScoreRunner\b"#, options: .regularExpression))
    }
}
