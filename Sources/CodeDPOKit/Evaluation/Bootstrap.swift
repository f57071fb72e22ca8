/// A paired bootstrap over problems, pure and seeded: the same seed gives the same interval
/// on every machine (its own generator, not the system's).
public struct Bootstrap: Sendable {
    public var resamples: Int
    public var seed: UInt64
    /// The interval's coverage (0.95: the 2.5th to the 97.5th percentile).
    public var level: Double

    public init(resamples: Int = 10_000, seed: UInt64 = 0, level: Double = 0.95) {
        precondition(resamples > 0 && level > 0 && level < 1)
        self.resamples = resamples
        self.seed = seed
        self.level = level
    }

    public struct Interval: Sendable, Equatable {
        /// The observed mean difference (a - b) over the problems.
        public var difference: Double
        public var low: Double
        public var high: Double
        public var problems: Int

        /// The interval contains 0: the data cannot tell the two apart.
        public var distinguishable: Bool { low > 0 || high < 0 }

        /// "a better", "b better" or "not distinguishable".
        public func verdict(_ a: String, _ b: String) -> String {
            low > 0 ? "\(a) better" : high < 0 ? "\(b) better" : "not distinguishable"
        }
    }

    /// The mean of a[i] - b[i] over problems, with a percentile interval from resampling the
    /// problems with replacement (both members of a pair move together).
    public func pairedDifference(_ a: [Double], _ b: [Double]) -> Interval {
        precondition(a.count == b.count, "paired samples must have the same length")
        let differences = zip(a, b).map { $0 - $1 }
        let n = differences.count
        guard n > 0 else { return Interval(difference: 0, low: 0, high: 0, problems: 0) }
        let observed = differences.reduce(0, +) / Double(n)
        var generator = SplitMix64(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var total = 0.0
            for _ in 0..<n { total += differences[generator.next(below: n)] }
            means[r] = total / Double(n)
        }
        means.sort()
        let tail = (1 - level) / 2
        return Interval(difference: observed, low: Self.quantile(means, tail), high: Self.quantile(means, 1 - tail), problems: n)
    }

    /// Linear interpolation between order statistics (numpy's default percentile).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): small, fast, and the same sequence everywhere.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<bound (Lemire's multiply-high; the bias is below 2^-50 here).
    mutating func next(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
