import Foundation
import XCTest

@testable import CodeDPOKit

/// A fresh database file in a temporary folder, removed when the test ends.
func temporaryDatabasePath(_ test: XCTestCase, name: String = "test.db") -> String {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("codedpo-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder.appendingPathComponent(name).path
}

/// A migrated database, ready for a stage to write into.
func migratedDatabase(_ test: XCTestCase) throws -> Database {
    try Workspace.initialize(path: temporaryDatabasePath(test)).0
}

/// The project's root folder (Package.swift's), found from this file's path.
let projectRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shared real data folder, or nil (tests that need it skip with a message).
let sharedData: URL? = {
    let url = projectRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}()

func XCTAssertThrowsMessage<T>(_ expression: @autoclosure () throws -> T, contains fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        let text = String(describing: error)
        for fragment in fragments {
            XCTAssertTrue(text.contains(fragment), "error «\(text)» does not contain «\(fragment)»", file: file, line: line)
        }
    }
}

/// A migrated database with a run and an execution config (never executed: verdicts are
/// inserted by the test), for tests of what reads verdicts.
func databaseWithConfig(_ test: XCTestCase) throws -> (db: Database, runID: Int64, configID: Int64) {
    let db = try migratedDatabase(test)
    let runID = try RunLog(db).start(command: "test", argv: [])
    var settings = ExecutionSettings(interpreter: PythonInterpreter(path: "/usr/bin/python3", version: "3.11.2"))
    settings.timeout = 1
    return (db, runID, try settings.configID(in: db, runID: runID).id)
}
