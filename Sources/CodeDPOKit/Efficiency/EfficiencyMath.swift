/// Summaries of repeated measurements, pure.
public enum EfficiencyMath {
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Median absolute deviation scaled to a standard deviation (x1.4826): a spread that one
    /// disturbed repetition on a shared machine does not blow up.
    public static func spread(_ values: [Double]) -> Double {
        let center = median(values)
        return 1.4826 * median(values.map { abs($0 - center) })
    }

    public struct Summary: Sendable, Equatable {
        public var median: Double
        public var spread: Double
        public var noisy: Bool
    }

    /// Per-repetition totals -> median and spread; noisy when the spread is more than
    /// `maxNoise` of the median (too unsteady to rank).
    public static func summarize(_ totals: [Double], maxNoise: Double) -> Summary {
        let center = median(totals), deviation = spread(totals)
        return Summary(median: center, spread: deviation, noisy: !(center > 0) || deviation / center > maxNoise)
    }
}
