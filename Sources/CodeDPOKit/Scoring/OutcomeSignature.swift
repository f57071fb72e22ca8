import Foundation

/// How a solution ended on a test, as much as says what it computed: "pass", or the status
/// and the harness's message for a failure. Two solutions failing `assert f(3) == 7` with
/// `assert 5 == 7` behaved alike; one failing with `assert None == 7` behaved otherwise,
/// although all three fail the test (MBR-exec's execution equivalence, Shi et al. 2022,
/// compares outputs, not pass/fail).
///
/// The message is kept only where it is a property of the code: a failed assertion, a raised
/// error and a load error. The rest is dropped:
/// - `(solution line N)`: where in the code it was raised depends on layout, not behaviour;
/// - `0x…` addresses (`<generator object f at 0x7f…>`): differ between runs;
/// - timeout, memory and crash messages: they carry limits and measurements, so the
///   status alone stands for them.
public enum OutcomeSignature {
    public static func of(status: String, error: String?) -> String {
        switch status {
        case "pass": return "pass"
        case "fail", "error", "load_error":
            guard var text = error, !text.isEmpty else { return status }
            // Most messages have neither; the plain search is much cheaper than the regex.
            if text.contains("(solution line ") {
                text = text.replacingOccurrences(of: #"\s*\(solution line \d+\)"#, with: "", options: .regularExpression)
            }
            if text.contains("0x") { text = text.replacingOccurrences(of: "0x[0-9a-fA-F]+", with: "0x", options: .regularExpression) }
            return status + ": " + text
        default: return status
        }
    }

    /// Ids for the signatures of one problem's verdicts: 0 for "pass", then 1, 2, … in order
    /// of first appearance.
    public struct Interner {
        private var ids: [String: Int32] = ["pass": 0]
        public init() {}
        public mutating func id(_ signature: String) -> Int32 {
            if let id = ids[signature] { return id }
            let id = Int32(ids.count)
            ids[signature] = id
            return id
        }
    }
}
