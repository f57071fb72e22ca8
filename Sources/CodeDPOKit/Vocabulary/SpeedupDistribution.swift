import Foundation

/// The paper's efficiency numbers for a set of efficiency pairs: how much faster the chosen
/// solution is than the rejected one (slow cost / fast cost), as a distribution, and the share
/// "optimized" (the paper counts a program as optimized when it is at least 10% faster).
/// Pure; shared by the efficiency stage, pair sets, the report and the export manifest so all
/// four print the same numbers under the same names.
public struct SpeedupDistribution: Sendable, Equatable {
    /// The paper's threshold: at least 10% faster.
    public static let optimizedAt = 1.1

    public var count: Int
    public var min: Double?
    public var p25: Double?
    public var median: Double?
    public var p75: Double?
    public var p90: Double?
    public var max: Double?
    /// Geometric mean: the typical factor (speedups multiply, so their mean is geometric).
    public var geometricMean: Double?
    /// Share of the pairs whose speedup is at least `optimizedAt` (nil without pairs).
    public var optimizedShare: Double?

    public init(_ speedups: [Double]) {
        let values = speedups.filter { $0.isFinite && $0 > 0 }.sorted()
        count = values.count
        func quantile(_ q: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            // Linear interpolation between closest ranks (numpy's default).
            let position = q * Double(values.count - 1)
            let low = Int(position.rounded(.down)), high = Swift.min(low + 1, values.count - 1)
            return values[low] + (values[high] - values[low]) * (position - Double(low))
        }
        min = values.first
        p25 = quantile(0.25)
        median = quantile(0.5)
        p75 = quantile(0.75)
        p90 = quantile(0.9)
        max = values.last
        geometricMean = values.isEmpty ? nil : exp(values.map { log($0) }.reduce(0, +) / Double(values.count))
        optimizedShare = values.isEmpty ? nil : Double(values.filter { $0 >= Self.optimizedAt }.count) / Double(values.count)
    }

    public var json: JSON {
        func number(_ value: Double?) -> JSON { value.map { .double(($0 * 1000).rounded() / 1000) } ?? .null }
        return .object([
            ("pairs", .int(Int64(count))), ("min", number(min)), ("p25", number(p25)), ("median", number(median)),
            ("p75", number(p75)), ("p90", number(p90)), ("max", number(max)), ("geometric_mean", number(geometricMean)),
            ("optimized_share", number(optimizedShare)),
        ])
    }

    /// One line for people: "12 pairs, speedup median 2.4x (p25 1.5x, p90 30x), 100% optimized (>= 1.1x)".
    public var line: String {
        guard let median, let p25, let p90, let optimizedShare else { return "no efficiency pairs" }
        func x(_ value: Double) -> String { value >= 100 ? String(format: "%.0fx", value) : String(format: "%.2gx", value) }
        return "\(count) pair\(count == 1 ? "" : "s"), speedup median \(x(median)) (p25 \(x(p25)), p90 \(x(p90))), "
            + String(format: "%.0f%% optimized (>= %.1fx)", optimizedShare * 100, Self.optimizedAt)
    }
}
