/// A request that cannot be carried out as written (a flag out of range, two flags that
/// exclude each other): the command line or the pipeline step is wrong, not the data. The CLI
/// exits 2 on it, as on any other usage mistake.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
