import Foundation
import XCTest

@testable import CodeDPOKit

/// The scripted OpenAI-compatible server (`scripts/fake_openai_server.py`) on 127.0.0.1, on a
/// free port, for one test: real HTTP, stopped when the test ends, and ending by itself after
/// two minutes whatever happens.
final class FakeOpenAIServer {
    let process = Process()
    let folder: URL
    let port: Int
    var logURL: URL { folder.appendingPathComponent("requests.jsonl") }
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    static let script = projectRoot.appendingPathComponent("scripts/fake_openai_server.py")

    init(scenario: JSON = .object([]), test: XCTestCase) throws {
        guard let python = try? PythonInterpreter.resolve() else { throw XCTSkip("no Python 3: the fake OpenAI server cannot start") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("codedpo-fake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("scenario.json")
        try Data(scenario.text.utf8).write(to: config)
        let portFile = folder.appendingPathComponent("port")
        process.executableURL = URL(fileURLWithPath: python.path)
        process.arguments = [Self.script.path, "--config", config.path, "--log", folder.appendingPathComponent("requests.jsonl").path,
                             "--port-file", portFile.path, "--lifetime", "120"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 15)
        var port: Int?
        while Date() < deadline, process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = value
                break
            }
            usleep(20_000)
        }
        guard let port else {
            if process.isRunning { process.terminate() }
            throw XCTSkip("the fake OpenAI server did not start")
        }
        self.port = port
        let folder = self.folder
        let process = self.process
        test.addTeardownBlock {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Every request the server saw, in the order they ended.
    func requests() -> [JSON] {
        guard let text = try? String(contentsOf: logURL, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
    }
}

/// A port nothing listens on (bound, then closed).
func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    close(fd)
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Problems T/0..T/(count-1), each a function `add_i(a, b)` with a docstring.
func addGenerationProblems(_ db: Database, count: Int, folder: URL) throws {
    var lines = ""
    for index in 0..<count {
        let prompt = "def add_\(index)(a: int, b: int) -> int:\n    \"\"\"Return a + b.\"\"\"\n"
        lines += JSON.object([("id", .string("T/\(index)")), ("prompt", .string(prompt)), ("entry_point", .string("add_\(index)"))]).text + "\n"
    }
    let file = folder.appendingPathComponent("problems-\(UUID().uuidString).jsonl")
    try Data(lines.utf8).write(to: file)
    let runID = try RunLog(db).start(command: "import", argv: [])
    _ = try Importer.run(db: db, runID: runID, files: [file.path], options: ImportOptions(kind: .problems))
    try RunLog(db).finish(runID, status: .ok)
}

extension XCTestCase {
    /// Runs a generation as `codedpo generate` does: a run row, the generator, the run closed.
    func generate(_ db: Database, _ configure: (inout GenerateOptions) -> Void, stage: GenerationStage = .solutions,
                  endpoint: String, model: String = "fake") async throws -> GenerateReport {
        var client = ClientSettings(endpoint: endpoint, model: model)
        client.backoffBase = 0.02
        client.maxBackoff = 0.1
        client.timeout = 10
        var options = GenerateOptions(stage: stage, client: client, template: PromptTemplate.builtin(stage: stage, api: .chat))
        options.samples = 1
        options.concurrency = 2
        configure(&options)
        let log = RunLog(db)
        let runID = try log.start(command: "generate", argv: [], parameters: options.parameters)
        let report = try await Generator(db: db, runID: runID, options: options).run()
        try log.finish(runID, status: report.interrupted ? .interrupted : .ok, summary: report.json)
        return report
    }
}
