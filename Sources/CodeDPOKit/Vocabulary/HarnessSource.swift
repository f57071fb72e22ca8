import Foundation

/// The Python harness as one program: the modules in `Execution/Harness/` (embedded in the
/// binary by the EmbedFiles plugin), joined into one source that a worker runs.
///
/// The harness is split into modules by responsibility (protocol, guard, trusted comparison,
/// timing, loader, worker), but runs as one namespace: its guard and its private references
/// rely on being one module. Each file is importable on its own for unit tests; the lines
/// that make it so sit in `# <standalone>` blocks, which joining drops. The order is the
/// order of the `from harness_x import *` lines in harness_worker.py's first standalone
/// block, then harness_worker.py itself (Tests/harness/harness_source.py joins the same way).
enum HarnessSource {
    static let entry = "harness_worker"

    /// The joined source, or "" when the modules are missing (a broken build).
    static func joined(_ files: [String: String]) -> String {
        guard let worker = files[entry + ".py"] else { return "" }
        let parts = order(worker: worker).compactMap { files[$0 + ".py"] }.map(strip)
        return parts.joined(separator: "\n")
    }

    /// Module names in join order.
    static func order(worker: String) -> [String] {
        var names: [String] = []
        var inside = false
        for line in worker.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# <standalone>") {
                inside = true
            } else if line.hasPrefix("# </standalone>") {
                break
            } else if inside, line.hasPrefix("from harness_"), let end = line.range(of: " import *") {
                names.append(String(line[line.index(line.startIndex, offsetBy: 5)..<end.lowerBound]))
            }
        }
        return names + [entry]
    }

    /// A module's text without its `# <standalone>` ... `# </standalone>` blocks.
    static func strip(_ text: String) -> String {
        var kept: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# <standalone>") {
                skipping = true
            } else if line.hasPrefix("# </standalone>") {
                skipping = false
            } else if !skipping {
                kept.append(line)
            }
        }
        return kept.joined(separator: "\n")
    }
}
