import Foundation
import XCTest

@testable import CodeDPOKit

/// The harness modules joined into the one source a worker runs.
final class HarnessSourceTests: XCTestCase {
    func testModulesJoinInTheWorkersOrderWithoutStandaloneBlocks() {
        let files = [
            "harness_worker.py": "\"\"\"worker\"\"\"\n# <standalone>\nfrom harness_b import *\nfrom harness_a import *\n# </standalone>\nW = 1\n",
            "harness_a.py": "A = 1\n# <standalone>\n__all__ = []\n# </standalone>\n",
            "harness_b.py": "# <standalone>\nfrom harness_a import *\n# </standalone>\nB = A\n",
        ]
        XCTAssertEqual(HarnessSource.order(worker: files["harness_worker.py"]!), ["harness_b", "harness_a", "harness_worker"])
        XCTAssertEqual(HarnessSource.joined(files), "B = A\n\nA = 1\n\n\"\"\"worker\"\"\"\nW = 1\n")
    }

    /// The binary runs what Tests/harness runs: the Python joiner there gives the same text.
    func testEmbeddedSourceIsWhatThePythonTestsRun() throws {
        guard let python = PythonInterpreter.locate("python3") else { throw XCTSkip("no python3") }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("Tests/harness/harness_source.py").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let source = ExecutionSettings.harnessSource
        XCTAssertTrue(source.hasPrefix("\"\"\"codedpo execution harness"), "the re-exec recognises the harness by its first line")
        XCTAssertTrue(source.contains("def main():") && source.contains("def _compare(") && source.contains("def _install_guard("))
        XCTAssertEqual(String(decoding: data, as: UTF8.self), source)
    }
}
