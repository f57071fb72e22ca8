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

    /// How much faster or slower the whole machine ran in each repetition: per repetition,
    /// the median over solutions of (its cost in that repetition / its median cost).
    /// Every repetition visits every solution, so a repetition that a busy machine slowed
    /// slows them all alike; dividing by this factor removes that drift, which would
    /// otherwise count as every solution's own noise. `costs[solution][repetition]`, nil
    /// where missing. With fewer than `minimumSolutions` solutions the factors are 1: a
    /// solution alone would only be compared with itself.
    public static func drift(_ costs: [[Double?]], minimumSolutions: Int = 5) -> [Double] {
        let repetitions = costs.map(\.count).max() ?? 0
        guard costs.count >= minimumSolutions else { return Array(repeating: 1, count: repetitions) }
        let centers = costs.map { median($0.compactMap { $0 }) }
        return (0..<repetitions).map { r in
            let ratios = costs.indices.compactMap { s -> Double? in
                guard r < costs[s].count, let cost = costs[s][r], centers[s] > 0 else { return nil }
                return cost / centers[s]
            }
            let factor = median(ratios)
            return factor.isFinite && factor > 0 ? factor : 1
        }
    }

    /// The largest speedup (slow median / fast median) between two solutions that their
    /// measurements can order: the gap of the medians exceeds the two spreads summed. nil
    /// when no two can be ordered. Noisy solutions take part: only the gap decides.
    public static func largestOrderedSpeedup(_ summaries: [Summary]) -> Double? {
        var best: Double?
        for fast in summaries where fast.median > 0 {
            for slow in summaries where slow.median > fast.median && slow.median - fast.median > fast.spread + slow.spread {
                let speedup = slow.median / fast.median
                if best == nil || speedup > best! { best = speedup }
            }
        }
        return best
    }
}
