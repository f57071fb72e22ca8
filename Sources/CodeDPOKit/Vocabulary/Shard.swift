import Foundation

/// A deterministic slice of the problems, by a hash of their external id, so shards made
/// from separately imported databases still agree.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses "i/N" with 0 <= i < N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 0, index < count else { return nil }
        self.init(index: index, count: count)
    }

    public func contains(externalID: String) -> Bool {
        var hasher = SHA256()
        hasher.update(externalID)
        let digest = hasher.finalize()
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(value % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }
}
