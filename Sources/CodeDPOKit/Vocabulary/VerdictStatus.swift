/// The outcome of one test run against one solution: the one list of statuses that
/// `executions.status` holds (its CHECK constraint says the same), the harness reports, and
/// the commands, the report and the docs name.
public enum VerdictStatus: String, CaseIterable, Sendable {
    /// The harness saw the test body return (never inferred from an exit code or output).
    case pass
    /// An assertion failed.
    case fail
    /// Another exception.
    case error
    case timeout
    case memory
    /// The process died or reported nothing.
    case crash
    /// The solution itself did not import or compile.
    case loadError = "load_error"

    /// Every status as stored, in this order (the order tables and charts show them in).
    public static let names = allCases.map(\.rawValue)
}
