/// Work stopped by a signal (Ctrl-C) after keeping what finished; the CLI exits 130.
public struct Interrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped by a signal; finished work is kept: run the same command again to go on" }
}
