import Foundation

/// Progress on stderr: a redrawn line on a terminal, a plain line every few seconds when
/// stderr is a file or pipe (logs of a batch job), nothing at all when quiet.
final class ProgressLine {
    let isTTY = isatty(STDERR_FILENO) == 1
    let quiet: Bool
    private var lastPlain = -1.0
    private var drawn = false

    init(quiet: Bool = false) { self.quiet = quiet }

    func update(_ text: String, elapsed: Double) {
        guard !quiet else { return }
        if isTTY {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
            drawn = true
        } else if lastPlain < 0 || elapsed - lastPlain >= 10 {
            lastPlain = elapsed
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drawn = false
    }

    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let filled = Int((max(0, min(1, fraction)) * Double(width)).rounded())
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}

/// Ctrl-C (and SIGTERM) as a flag the work loop polls, so finished work is kept.
final class InterruptFlag: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var value = false
    private let lock = NSLock()

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }

    func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let second = self.value
                self.value = true
                self.lock.unlock()
                if second { Foundation.exit(130) }  // a second Ctrl-C does not wait
                FileHandle.standardError.write(Data("\nstopping: keeping finished work (Ctrl-C again to quit at once)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }
}
