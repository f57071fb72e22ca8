import Foundation

/// A real Python interpreter binary: shims (pyenv) and symlinks resolved, so starting it
/// costs one interpreter start and not a shell script's too.
public struct PythonInterpreter: Sendable, Equatable {
    public let path: String
    public let version: String

    /// Resolves `explicit` (a path or a command name), else `python3` on PATH, else
    /// /usr/bin/python3, by asking the interpreter itself for `sys.executable`.
    public static func resolve(_ explicit: String? = nil) throws -> PythonInterpreter {
        let candidates = explicit.map { [$0] } ?? ["python3", "/usr/bin/python3"]
        var problems: [String] = []
        for candidate in candidates {
            guard let launcher = locate(candidate) else {
                problems.append("\(candidate): not found")
                continue
            }
            do {
                let output = try run(launcher, ["-I", "-S", "-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"])
                let lines = output.split(separator: "\n").map(String.init)
                guard lines.count >= 2, !lines[0].isEmpty else {
                    problems.append("\(candidate): did not report sys.executable")
                    continue
                }
                let real = URL(fileURLWithPath: lines[0]).resolvingSymlinksInPath().path
                return PythonInterpreter(path: real, version: lines[1])
            } catch {
                problems.append("\(candidate): \(error)")
            }
        }
        throw StoreError("no usable Python 3 interpreter (\(problems.joined(separator: "; "))). Install one (apt-get install -y python3) or pass --python PATH.")
    }

    static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StoreError("exited with status \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A long-lived Python process answering one JSON line per JSON line: the ingest helper.
/// Requests are answered in order; a dead helper is an error naming what it last said.
public final class PythonLineService {
    private let process = Process()
    private let input: FileHandle
    private let output: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private let stderrPipe = Pipe()

    /// Starts one of the embedded helpers (`ingest_helper.py`, `generation_helper.py`), with
    /// the code they share (`python_shared.py`) in front of it.
    public convenience init(interpreter: PythonInterpreter, helper name: String) throws {
        guard let shared = EmbeddedKit.files["python_shared.py"], let source = EmbeddedKit.files[name] else {
            throw StoreError("the Python helper \(name) is missing from this build")
        }
        try self.init(interpreter: interpreter, source: shared + "\n" + source)
    }

    public init(interpreter: PythonInterpreter, source: String) throws {
        process.executableURL = URL(fileURLWithPath: interpreter.path)
        process.arguments = ["-I", "-S", "-u", "-c", source]
        let inPipe = Pipe(), outPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = stderrPipe
        try process.run()
        input = inPipe.fileHandleForWriting
        output = outPipe.fileHandleForReading.fileDescriptor
    }

    deinit {
        try? input.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    public func call(_ request: JSON) throws -> JSON {
        do {
            try input.write(contentsOf: Data((request.text + "\n").utf8))
        } catch {
            throw StoreError("the Python helper stopped: \(stderrText())")
        }
        guard let line = try readLine() else {
            throw StoreError("the Python helper stopped: \(stderrText())")
        }
        return try JSON.parse(line)
    }

    private func stderrText() -> String {
        if process.isRunning { return "(no message)" }
        let data = stderrPipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data.suffix(2000), as: UTF8.self)
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                if start > 1 << 20 { buffer.removeFirst(start); start = 0 }
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
