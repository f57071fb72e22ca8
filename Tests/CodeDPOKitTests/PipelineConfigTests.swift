import CodeDPOKit
import XCTest

final class PipelineConfigTests: XCTestCase {
    func parse(_ text: String) throws -> PipelineConfig {
        try PipelineConfig.parse(try JSON.parse(text), file: "p.json", folder: "/data/cfg")
    }

    func testFlagsFollowTheCLIAndPathsResolveAgainstTheConfigFolder() throws {
        let config = try parse("""
            {"db": "w.db",
             "report": {"out": "r.html"},
             "import": [{"kind": "tests", "files": ["t.jsonl", "/abs/u.jsonl"], "format": "codet", "prompts": "../p.jsonl", "skip-bad": true, "dry-run": false}],
             "execute": {"timeout": 0.5, "jobs": 2, "problem": ["A/1", "A/2"], "where": null},
             "score": [{"strategy": "self-validation", "name": "sv", "damping": 0.85}],
             "pairs": {"name": "v1", "score": "sv"}}
            """)
        XCTAssertEqual(config.database, "/data/cfg/w.db")
        // Steps run in pipeline order, whatever order the keys were written in.
        XCTAssertEqual(config.steps.map(\.stage), [.import, .execute, .score, .pairs, .report])
        XCTAssertEqual(config.steps[0].arguments, ["import", "tests", "/data/cfg/t.jsonl", "/abs/u.jsonl", "--format", "codet", "--prompts", "/data/p.jsonl", "--skip-bad"])
        XCTAssertEqual(config.steps[1].arguments, ["execute", "--timeout", "0.5", "--jobs", "2", "--problem", "A/1", "--problem", "A/2"])
        XCTAssertEqual(config.steps[2].name, "sv")
        XCTAssertEqual(config.steps[2].arguments, ["score", "--strategy", "self-validation", "--damping", "0.85"])
        XCTAssertEqual(config.steps[3].scoreRef, "sv")
        XCTAssertEqual(config.steps[3].pairSet, "v1")
        XCTAssertEqual(config.steps[3].arguments, ["pairs"])
        XCTAssertEqual(config.steps[4].arguments, ["report", "--out", "/data/cfg/r.html"])
        XCTAssertEqual(config.steps[0].location, "p.json: import[0]")
    }

    func testMistakesNameTheirPlace() throws {
        XCTAssertThrowsMessage(try parse(#"{"scor": []}"#), contains: ["unknown key \"scor\""])
        XCTAssertThrowsMessage(try parse(#"{"import": [{"files": ["a"]}]}"#), contains: ["p.json: import[0]: an import needs \"kind\""])
        XCTAssertThrowsMessage(try parse(#"{"score": [{"strategy": "codet"}], "efficiency": {"repeat": 3}}"#), contains: ["p.json: efficiency: say which score step"])
        XCTAssertThrowsMessage(try parse(#"{"score": [{"strategy": "codet"}], "export": [{"format": "trl", "out": "x"}]}"#), contains: ["name the pair set to export"])
        XCTAssertThrowsMessage(try parse(#"{"execute": {"timeout": {"a": 1}}}"#), contains: ["\"timeout\" takes a string, a number"])
        XCTAssertThrowsMessage(try parse(#"{"execute": {"db": "x.db"}}"#), contains: ["belongs at the top"])
        XCTAssertThrowsMessage(try parse("[]"), contains: ["must be a JSON object"])
        XCTAssertThrowsMessage(try parse("{}"), contains: ["no stages"])
    }
}
