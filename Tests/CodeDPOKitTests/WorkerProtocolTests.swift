import XCTest

@testable import CodeDPOKit

/// What travels between Swift and a worker: "results" lines read by the fast path give what the
/// general JSON parser gives; tests named by id alone are the last job's, never stale code.
final class WorkerProtocolTests: XCTestCase {
    func testReadsEveryFieldAsTheGeneralParserDoes() throws {
        let line = #"{"type":"results","job":17,"r":[[5,"pass",1.2e-05,0.000011,12345,"","AssertionError: \"x\" \u00e9 (test line 1)"],[6,"fail",0.5,1,0,"out\nput ü",null]]}"#
        let fast = try XCTUnwrap(ResultsLine.parse(line))
        XCTAssertEqual(fast.job, 17)
        let general = try JSON.parse(line)["r"]!.arrayValue!
        XCTAssertEqual(fast.records.count, general.count)
        for (record, fields) in zip(fast.records, general.map { $0.arrayValue! }) {
            XCTAssertEqual(record.testID, fields[0].intValue)
            XCTAssertEqual(record.status, fields[1].stringValue)
            XCTAssertEqual(record.duration, fields[2].doubleValue)
            XCTAssertEqual(record.cpu, fields[3].doubleValue)
            XCTAssertEqual(record.maxRSSKB, fields[4].intValue)
            XCTAssertEqual(record.output, fields[5].stringValue)
            XCTAssertEqual(record.error, fields[6].stringValue)
        }
        XCTAssertEqual(fast.records[0].error, "AssertionError: \"x\" é (test line 1)")
        XCTAssertEqual(fast.records[1].output, "out\nput ü")
        XCTAssertEqual(ResultsLine.parse(#"{"type":"results","job":3,"r":[]}"#)?.records.count, 0)
    }

    /// Anything else is left to the general parser (nil), never half-read.
    func testOtherLinesAreNotResultsLines() {
        for line in [#"{"type":"done","job":17}"#,
                     #"{"type":"results","job":17,"r":[[5,"pass",0,0,0,""]]}"#,          // six fields
                     #"{"type":"results","job":17,"r":[[5,"pass",0,0,0,"",null]]} x"#,   // trailing text
                     #"{"type":"results","job":"17","r":[]}"#,
                     #"{"type":"results","job":17,"r":[[5,"pass",0,0,0,"",null]"#] {
            XCTAssertNil(ResultsLine.parse(line), line)
        }
    }

    /// A test id the last job had, now with other code (ExpectedOutputs numbers its probes from 0
    /// in every call), must run the new code; the same code goes by id and gives the same verdicts.
    func testTestsByIdNeverRunStaleCode() throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3 interpreter") }
        let scratch = try WorkerProcess.makeScratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let worker = WorkerProcess(settings: ExecutionSettings(interpreter: python), scratch: scratch)
        defer { worker.stop() }
        let solution = "def f(x):\n    return x + 1\n"
        let first = [(id: Int64(0), code: "assert f(1) == 2"), (id: Int64(1), code: "assert f(1) == 3")]
        XCTAssertEqual(worker.run(solution: solution, tests: first).map(\.status), ["pass", "fail"])
        XCTAssertEqual(worker.run(solution: solution, tests: first).map(\.status), ["pass", "fail"])
        let swapped = [(id: Int64(0), code: "assert f(1) == 3"), (id: Int64(1), code: "assert f(1) == 2")]
        XCTAssertEqual(worker.run(solution: solution, tests: swapped).map(\.status), ["fail", "pass"])
        XCTAssertEqual(worker.run(solution: solution, tests: [swapped[1]]).map(\.status), ["pass"])
        XCTAssertEqual(worker.run(solution: solution, tests: swapped).map(\.status), ["fail", "pass"])
    }
}
