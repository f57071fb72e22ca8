import Foundation

/// Escaping and number formatting shared by the SVG charts and the HTML page.
public enum Markup {
    /// Text or attribute value made safe for HTML and XML: & < > " ' are replaced.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newlines are not allowed in XML.
                if character.value < 0x20 && character != "\t" && character != "\n" && character != "\r" {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(character)
                }
            }
        }
        return out
    }

    /// A coordinate: at most two decimals, no trailing zeros.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int64(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A number for people: integers with thousands separators, others with `digits`
    /// significant digits.
    public static func number(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return value.isNaN ? "–" : (value > 0 ? "∞" : "-∞") }
        if value == value.rounded() && abs(value) < 1e15 { return grouped(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-3 { return String(format: "%.\(max(digits - 1, 0))e", value) }
        let decimals = max(0, digits - 1 - Int(floor(log10(magnitude))))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    public static func percent(_ share: Double, decimals: Int = 1) -> String {
        String(format: "%.\(decimals)f%%", share * 100)
    }
}

/// Pure chart functions: data in, one `<svg>` element out. Sizes are in CSS pixels; every
/// chart scales down to its container (the page's CSS sets `max-width: 100%`). Every chart
/// draws its title and axis labels; colours for verdicts come from CSS classes (`v-pass`, ...)
/// so the page and the legend agree.
public enum SVGCharts {
    // MARK: Palette

    public static let verdictStatuses = VerdictStatus.names
    public static let verdictColors: [String: String] = [
        "pass": "#3f9e63", "fail": "#d65a4f", "error": "#eea443", "timeout": "#8a6cc4",
        "memory": "#4f8fcf", "crash": "#3b3f48", "load_error": "#a9adb5",
    ]
    public static let notRunColor = "#ffffff"
    public static let accent = "#3b6ea5"
    public static let accent2 = "#c2773a"
    public static let good = "#3f9e63"
    public static let bad = "#d65a4f"
    public static let muted = "#8a8f98"

    public static func verdictColor(_ status: String?) -> String {
        guard let status else { return notRunColor }
        return verdictColors[status] ?? "#666666"
    }

    /// The CSS class of a verdict cell: `v-pass`, `v-load_error`, ..., or `v-none` (not run).
    public static func verdictClass(_ status: String?) -> String {
        guard let status else { return "v-none" }
        let safe = status.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" }
        return "v-" + String(String.UnicodeScalarView(safe))
    }

    // MARK: Scales

    /// Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten.
    public static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low, count > 0 else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let normalized = raw / magnitude
        let step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude
        // k * step, computed as an integer over a power of ten when the step is below 1 (so
        // 3 x 0.2 is 0.6, not 0.6000000000000001).
        let inverse = magnitude < 1 ? (1 / magnitude).rounded() : 1
        let units = (step * inverse).rounded()
        var values: [Double] = []
        var k = (low / step).rounded(.up)
        while k * step <= high + step * 1e-9 {
            values.append(k == 0 ? 0 : k * units / inverse)
            k += 1
        }
        return values
    }

    /// The smallest round value at or above `value` (the axis top for counts and shares).
    public static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let t = ticks(0, value)
        guard let step = t.count > 1 ? t[1] - t[0] : nil else { return value }
        return (value / step - 1e-9).rounded(.up) * step
    }

    struct Frame {
        var width: Double
        var height: Double
        var left: Double
        var right: Double
        var top: Double
        var bottom: Double
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
    }

    static func open(_ frame: Frame, title: String, kind: String) -> String {
        let w = Markup.coordinate(frame.width), h = Markup.coordinate(frame.height)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart \(kind)" viewBox="0 0 \(w) \(h)" width="\(w)" height="\(h)" role="img" aria-label="\(Markup.escape(title))">\
            <text class="chart-title" x="4" y="18">\(Markup.escape(title))</text>
            """
    }

    static func text(_ value: String, x: Double, y: Double, cls: String, anchor: String = "start", extra: String = "") -> String {
        "<text class=\"\(cls)\" x=\"\(Markup.coordinate(x))\" y=\"\(Markup.coordinate(y))\" text-anchor=\"\(anchor)\"\(extra)>\(Markup.escape(value))</text>"
    }

    static func axisLabels(_ frame: Frame, x: String, y: String) -> String {
        let xl = text(x, x: frame.left + frame.plotWidth / 2, y: frame.height - 6, cls: "axis-label", anchor: "middle")
        let cy = frame.top + frame.plotHeight / 2
        let yl = text(y, x: 14, y: cy, cls: "axis-label", anchor: "middle",
                      extra: " transform=\"rotate(-90 14 \(Markup.coordinate(cy)))\"")
        return xl + yl
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, cls: String? = nil, fill: String? = nil, extra: String = "") -> String {
        var attributes = ""
        if let cls { attributes += " class=\"\(cls)\"" }
        if let fill { attributes += " fill=\"\(fill)\"" }
        return "<rect\(attributes) x=\"\(Markup.coordinate(x))\" y=\"\(Markup.coordinate(y))\" width=\"\(Markup.coordinate(max(w, 0)))\" height=\"\(Markup.coordinate(max(h, 0)))\"\(extra)/>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String) -> String {
        "<line class=\"\(cls)\" x1=\"\(Markup.coordinate(x1))\" y1=\"\(Markup.coordinate(y1))\" x2=\"\(Markup.coordinate(x2))\" y2=\"\(Markup.coordinate(y2))\"/>"
    }

    static func tooltip(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "<title>\(Markup.escape(text))</title>"
    }

    // MARK: Horizontal bar chart

    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Double
        public var color: String
        /// Shown at the end of the bar (default: the value).
        public var valueText: String?
        /// A reference value drawn as a tick across the bar (e.g. a random baseline).
        public var marker: Double?
        public var tooltip: String?

        public init(label: String, value: Double, color: String = SVGCharts.accent, valueText: String? = nil,
                    marker: Double? = nil, tooltip: String? = nil) {
            self.label = label
            self.value = value
            self.color = color
            self.valueText = valueText
            self.marker = marker
            self.tooltip = tooltip
        }
    }

    /// Horizontal bars, one row per bar, from 0 to `maxValue` (default: a round value above
    /// the largest). Bars with a `marker` get a dark tick at that value, explained by
    /// `markerLabel` in a legend.
    public static func horizontalBars(title: String, bars: [Bar], xLabel: String, yLabel: String, maxValue: Double? = nil,
                                      markerLabel: String? = nil, width: Double = 560, labelWidth: Double = 150,
                                      tickFormat: (Double) -> String = { Markup.number($0) }) -> String {
        let rowHeight = 26.0
        let legend = markerLabel != nil ? 20.0 : 0
        var frame = Frame(width: width, height: 0, left: 28 + labelWidth, right: 64, top: 34 + legend, bottom: 48)
        frame.height = frame.top + frame.bottom + max(1, Double(bars.count)) * rowHeight
        let top = maxValue ?? niceCeiling(bars.map { max($0.value, $0.marker ?? 0) }.max() ?? 1)
        func x(_ v: Double) -> Double { frame.left + (top > 0 ? min(max(v, 0), top) / top : 0) * frame.plotWidth }
        var svg = open(frame, title: title, kind: "bar-chart")
        if let markerLabel {
            svg += line(frame.left, 36, frame.left, 48, cls: "marker")
            svg += text(markerLabel, x: frame.left + 6, y: 46, cls: "legend-text")
        }
        for tick in ticks(0, top) {
            svg += line(x(tick), frame.top, x(tick), frame.top + frame.plotHeight, cls: "gridline")
            svg += text(tickFormat(tick), x: x(tick), y: frame.top + frame.plotHeight + 16, cls: "tick", anchor: "middle")
        }
        for (i, bar) in bars.enumerated() {
            let y = frame.top + Double(i) * rowHeight
            svg += "<g class=\"bar-row\">" + tooltip(bar.tooltip ?? "\(bar.label): \(bar.valueText ?? Markup.number(bar.value))")
            svg += text(bar.label, x: frame.left - 8, y: y + rowHeight / 2 + 4, cls: "bar-label", anchor: "end")
            svg += rect(frame.left, y + 4, x(bar.value) - frame.left, rowHeight - 8, cls: "bar", fill: bar.color,
                        extra: " data-value=\"\(bar.value)\"")
            svg += text(bar.valueText ?? Markup.number(bar.value), x: x(bar.value) + 5, y: y + rowHeight / 2 + 4, cls: "bar-value")
            if let marker = bar.marker {
                svg += line(x(marker), y + 1, x(marker), y + rowHeight - 1, cls: "marker")
            }
            svg += "</g>"
        }
        svg += line(frame.left, frame.top, frame.left, frame.top + frame.plotHeight, cls: "axis")
        svg += axisLabels(frame, x: xLabel, y: yLabel)
        return svg + "</svg>"
    }

    // MARK: Histogram

    public struct Bin: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int

        public init(lower: Double, upper: Double, count: Int) {
            self.lower = lower
            self.upper = upper
            self.count = count
        }
    }

    /// `count` equal bins over [lower, upper]; the last bin includes `upper`; values outside
    /// are clamped into the first or last bin.
    public static func bins(_ values: [Double], count: Int, lower: Double = 0, upper: Double = 1) -> [Bin] {
        let n = max(count, 1)
        let width = (upper - lower) / Double(n)
        var counts = Array(repeating: 0, count: n)
        for value in values where value.isFinite {
            let index = width > 0 ? Int(((value - lower) / width).rounded(.down)) : 0
            counts[min(max(index, 0), n - 1)] += 1
        }
        return (0..<n).map { Bin(lower: lower + Double($0) * width, upper: lower + Double($0 + 1) * width, count: counts[$0]) }
    }

    /// Vertical bars over value ranges; bar height is proportional to the bin's count.
    public static func histogram(title: String, bins: [Bin], xLabel: String, yLabel: String, color: String = SVGCharts.accent,
                                 width: Double = 560, height: Double = 300) -> String {
        let frame = Frame(width: width, height: height, left: 58, right: 16, top: 34, bottom: 48)
        var svg = open(frame, title: title, kind: "histogram")
        let lower = bins.first?.lower ?? 0, upper = bins.last?.upper ?? 1
        let top = niceCeiling(Double(bins.map(\.count).max() ?? 0))
        func x(_ v: Double) -> Double { frame.left + (upper > lower ? (v - lower) / (upper - lower) : 0) * frame.plotWidth }
        func y(_ v: Double) -> Double { frame.top + frame.plotHeight - v / top * frame.plotHeight }
        for tick in ticks(0, top) where tick == tick.rounded() {
            svg += line(frame.left, y(tick), frame.left + frame.plotWidth, y(tick), cls: "gridline")
            svg += text(Markup.number(tick), x: frame.left - 6, y: y(tick) + 4, cls: "tick", anchor: "end")
        }
        for bin in bins {
            let height = Double(bin.count) / top * frame.plotHeight
            let x0 = x(bin.lower) + 1, x1 = x(bin.upper) - 1
            svg += "<g>" + tooltip("\(Markup.number(bin.lower))–\(Markup.number(bin.upper)): \(bin.count)")
            svg += rect(x0, frame.top + frame.plotHeight - height, x1 - x0, height, cls: "bar", fill: color,
                        extra: " data-count=\"\(bin.count)\"")
            svg += "</g>"
        }
        for tick in ticks(lower, upper) {
            svg += text(Markup.number(tick), x: x(tick), y: frame.top + frame.plotHeight + 16, cls: "tick", anchor: "middle")
        }
        svg += line(frame.left, frame.top + frame.plotHeight, frame.left + frame.plotWidth, frame.top + frame.plotHeight, cls: "axis")
        svg += axisLabels(frame, x: xLabel, y: yLabel)
        return svg + "</svg>"
    }

    // MARK: Line chart

    public struct Series: Sendable, Equatable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
        public var dashed: Bool
        public var strokeWidth: Double
        /// Drawn in the legend (thin individual lines are usually not).
        public var inLegend: Bool
        public var tooltip: String?

        public init(name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false, strokeWidth: Double = 2,
                    inLegend: Bool = true, tooltip: String? = nil) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
            self.strokeWidth = strokeWidth
            self.inLegend = inLegend
            self.tooltip = tooltip
        }

        public static func == (lhs: Series, rhs: Series) -> Bool {
            lhs.name == rhs.name && lhs.points.map(\.x) == rhs.points.map(\.x) && lhs.points.map(\.y) == rhs.points.map(\.y)
                && lhs.color == rhs.color && lhs.dashed == rhs.dashed
        }
    }

    /// Lines over a shared x axis (integer ticks when `integerX`), y from `yRange` (default:
    /// 0 to a round value above the largest y). A legend of the named series sits under the
    /// title.
    public static func lineChart(title: String, series: [Series], xLabel: String, yLabel: String, yRange: ClosedRange<Double>? = nil,
                                 integerX: Bool = true, width: Double = 560, height: Double = 300) -> String {
        let legendItems = series.filter(\.inLegend)
        // Two legend entries a row when they fit (about 6 px a character), else one.
        let perRow = legendItems.allSatisfy { Double($0.name.count) * 6.2 + 44 < width / 2 } ? 2 : 1
        let legendRows = legendItems.isEmpty ? 0 : (legendItems.count + perRow - 1) / perRow
        let frame = Frame(width: width, height: height + Double(legendRows) * 16, left: 58, right: 18,
                          top: 34 + Double(legendRows) * 16, bottom: 48)
        var svg = open(frame, title: title, kind: "line-chart")
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let xLow = xs.min() ?? 0, xHigh = max(xs.max() ?? 1, xLow + 1)
        let range = yRange ?? 0...niceCeiling(ys.max() ?? 1)
        func x(_ v: Double) -> Double { frame.left + (v - xLow) / (xHigh - xLow) * frame.plotWidth }
        func y(_ v: Double) -> Double {
            let clamped = min(max(v, range.lowerBound), range.upperBound)
            return frame.top + frame.plotHeight - (clamped - range.lowerBound) / (range.upperBound - range.lowerBound) * frame.plotHeight
        }
        for (i, item) in legendItems.enumerated() {
            let lx = 8 + Double(i % perRow) * (frame.width / 2), ly = 34 + Double(i / perRow) * 16
            svg += "<line class=\"legend-line\" x1=\"\(Markup.coordinate(lx))\" y1=\"\(Markup.coordinate(ly - 4))\" x2=\"\(Markup.coordinate(lx + 22))\" y2=\"\(Markup.coordinate(ly - 4))\" stroke=\"\(item.color)\" stroke-width=\"\(Markup.coordinate(item.strokeWidth))\"\(item.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            svg += text(item.name, x: lx + 28, y: ly, cls: "legend-text")
        }
        for tick in ticks(range.lowerBound, range.upperBound) {
            svg += line(frame.left, y(tick), frame.left + frame.plotWidth, y(tick), cls: "gridline")
            svg += text(Markup.number(tick), x: frame.left - 6, y: y(tick) + 4, cls: "tick", anchor: "end")
        }
        let xTicks = integerX ? ticks(xLow, xHigh, count: min(10, Int(xHigh - xLow))).filter { $0 == $0.rounded() } : ticks(xLow, xHigh)
        for tick in xTicks {
            svg += text(Markup.number(tick), x: x(tick), y: frame.top + frame.plotHeight + 16, cls: "tick", anchor: "middle")
        }
        for item in series where !item.points.isEmpty {
            let points = item.points.filter { $0.y.isFinite }.map { "\(Markup.coordinate(x($0.x))),\(Markup.coordinate(y($0.y)))" }.joined(separator: " ")
            svg += "<g class=\"series\">" + tooltip(item.tooltip ?? item.name)
            svg += "<polyline fill=\"none\" stroke=\"\(item.color)\" stroke-width=\"\(Markup.coordinate(item.strokeWidth))\" stroke-linejoin=\"round\"\(item.dashed ? " stroke-dasharray=\"5 3\"" : "") points=\"\(points)\"/>"
            if item.points.count <= 40 && item.strokeWidth >= 2 {
                for point in item.points where point.y.isFinite {
                    svg += "<circle cx=\"\(Markup.coordinate(x(point.x)))\" cy=\"\(Markup.coordinate(y(point.y)))\" r=\"2.5\" fill=\"\(item.color)\"/>"
                }
            }
            svg += "</g>"
        }
        svg += line(frame.left, frame.top + frame.plotHeight, frame.left + frame.plotWidth, frame.top + frame.plotHeight, cls: "axis")
        svg += line(frame.left, frame.top, frame.left, frame.top + frame.plotHeight, cls: "axis")
        svg += axisLabels(frame, x: xLabel, y: yLabel)
        return svg + "</svg>"
    }

    // MARK: Column chart (speedups)

    public struct Column: Sendable, Equatable {
        public var label: String
        public var value: Double
        public var tooltip: String?

        public init(label: String, value: Double, tooltip: String? = nil) {
            self.label = label
            self.value = value
            self.tooltip = tooltip
        }
    }

    /// Vertical bars rising from `base` (1 for ratios), in the given order, with a dashed
    /// reference line (e.g. the minimum speedup). `logScale` draws a log10 axis.
    public static func columnChart(title: String, columns: [Column], xLabel: String, yLabel: String, base: Double = 0,
                                   reference: (value: Double, label: String)? = nil, logScale: Bool = false,
                                   color: String = SVGCharts.accent, width: Double = 560, height: Double = 300,
                                   tickFormat: (Double) -> String = { Markup.number($0) }) -> String {
        let showLabels = columns.count <= 24
        let legend = reference == nil ? 0.0 : 18
        let frame = Frame(width: width, height: height + legend + (showLabels ? 40 : 0), left: 58, right: 18, top: 34 + legend,
                          bottom: 48 + (showLabels ? 40 : 0))
        var svg = open(frame, title: title, kind: "column-chart")
        if let reference {
            svg += line(8, 36, 30, 36, cls: "reference")
            svg += text(reference.label, x: 36, y: 40, cls: "legend-text")
        }
        let values = columns.map(\.value).filter(\.isFinite) + [reference?.value ?? base]
        let high = values.max() ?? 1
        let scaleTop: Double, scaleBottom: Double, tickValues: [Double]
        if logScale {
            scaleBottom = log10(max(base, 1e-12))
            let decades = max(1, log10(high) - scaleBottom)
            scaleTop = scaleBottom + decades * 1.05
            var t: [Double] = []
            var power = (scaleBottom).rounded(.down)
            while power <= scaleTop {
                for m in [1.0, 2.0, 5.0] {
                    let v = m * pow(10, power)
                    if log10(v) >= scaleBottom - 1e-9 && log10(v) <= scaleTop { t.append(v) }
                }
                power += 1
            }
            tickValues = t
        } else {
            scaleBottom = base
            scaleTop = base + niceCeiling(high - base)
            tickValues = ticks(scaleBottom, scaleTop)
        }
        func y(_ v: Double) -> Double {
            let position = logScale ? log10(max(v, 1e-12)) : v
            let share = (min(max(position, scaleBottom), scaleTop) - scaleBottom) / max(scaleTop - scaleBottom, 1e-12)
            return frame.top + frame.plotHeight - share * frame.plotHeight
        }
        for tick in tickValues {
            svg += line(frame.left, y(tick), frame.left + frame.plotWidth, y(tick), cls: "gridline")
            svg += text(tickFormat(tick), x: frame.left - 6, y: y(tick) + 4, cls: "tick", anchor: "end")
        }
        let slot = frame.plotWidth / Double(max(columns.count, 1))
        let barWidth = min(slot * 0.7, 44)
        for (i, column) in columns.enumerated() {
            let x0 = frame.left + Double(i) * slot + (slot - barWidth) / 2
            let top = y(column.value.isFinite ? column.value : high)
            svg += "<g>" + tooltip(column.tooltip ?? "\(column.label): \(Markup.number(column.value))")
            svg += rect(x0, top, barWidth, frame.top + frame.plotHeight - top, cls: "bar", fill: color, extra: " data-value=\"\(column.value)\"")
            svg += "</g>"
            if showLabels {
                let cx = x0 + barWidth / 2, cy = frame.top + frame.plotHeight + 10
                svg += text(column.label, x: cx, y: cy, cls: "tick", anchor: "end",
                            extra: " transform=\"rotate(-40 \(Markup.coordinate(cx)) \(Markup.coordinate(cy)))\"")
            }
        }
        if let reference {
            svg += line(frame.left, y(reference.value), frame.left + frame.plotWidth, y(reference.value), cls: "reference")
        }
        svg += line(frame.left, frame.top + frame.plotHeight, frame.left + frame.plotWidth, frame.top + frame.plotHeight, cls: "axis")
        svg += line(frame.left, frame.top, frame.left, frame.top + frame.plotHeight, cls: "axis")
        svg += axisLabels(frame, x: xLabel, y: yLabel)
        return svg + "</svg>"
    }

    // MARK: Heat map (pass matrix)

    public struct HeatRow: Sendable, Equatable {
        public enum Marker: String, Sendable { case chosen, rejected }
        public var id: String
        public var label: String
        /// 0...1: drawn as a small bar beside the label.
        public var score: Double
        public var marker: Marker?
        /// Rows left out just before this one (drawn as a gap).
        public var skippedBefore: Int
        public var tooltip: String?

        public init(id: String, label: String, score: Double, marker: Marker? = nil, skippedBefore: Int = 0, tooltip: String? = nil) {
            self.id = id
            self.label = label
            self.score = score
            self.marker = marker
            self.skippedBefore = skippedBefore
            self.tooltip = tooltip
        }
    }

    public struct HeatColumn: Sendable, Equatable {
        public var id: String
        /// 0...1 drawn as a bar above the column; nil draws none.
        public var score: Double?
        /// Columns of different groups are drawn apart, each group labelled.
        public var group: String
        public var skippedBefore: Int
        public var tooltip: String?

        public init(id: String, score: Double?, group: String, skippedBefore: Int = 0, tooltip: String? = nil) {
            self.id = id
            self.score = score
            self.group = group
            self.skippedBefore = skippedBefore
            self.tooltip = tooltip
        }
    }

    /// One cell per (row, column), coloured by status (`cells[row][column]`, nil = not run),
    /// class `cell v-STATUS` with `data-row` / `data-col` ids. Rows are drawn in the order
    /// given, with their score bar and a ✓ (chosen) or ✗ (rejected) marker; columns are drawn
    /// in order, grouped, with their score bar on top.
    public static func heatMap(title: String, rows: [HeatRow], columns: [HeatColumn], cells: [[String?]],
                               xLabel: String, yLabel: String, maxWidth: Double = 1100) -> String {
        let labelWidth = 66.0, scoreWidth = 34.0, markerWidth = 16.0
        let groupGap = 10.0, skipGap = 8.0
        let left = 22 + labelWidth + scoreWidth + markerWidth
        let groupBreaks = columns.indices.filter { $0 > 0 && columns[$0].group != columns[$0 - 1].group }.count
        let skips = columns.filter { $0.skippedBefore > 0 }.count
        let gapsWidth = Double(groupBreaks) * groupGap + Double(skips) * skipGap
        let available = maxWidth - left - 20 - gapsWidth
        let cell = min(columns.count <= 16 ? 16 : 12, max(5, (available / Double(max(columns.count, 1))).rounded(.down)))
        let rowHeight = min(rows.count <= 16 ? 16 : 12, max(6, cell))
        let rowSkips = rows.filter { $0.skippedBefore > 0 }.count
        let top = 34.0 + 14 + 30  // title, group labels, column score bars
        let plotHeight = Double(rows.count) * rowHeight + Double(rowSkips) * 10
        let bottom = 36.0
        // Column x positions.
        var xs: [Double] = []
        var x = left
        for (j, column) in columns.enumerated() {
            if j > 0 && column.group != columns[j - 1].group { x += groupGap }
            if column.skippedBefore > 0 { x += skipGap }
            xs.append(x)
            x += cell
        }
        // Group labels (about 5.6 px a character): the last may run past its columns, the
        // others are cut to fit before the next group.
        var groups: [(label: String, x0: Double, x1: Double)] = []
        var groupStart = 0
        for j in columns.indices where j == columns.count - 1 || columns[j + 1].group != columns[j].group {
            groups.append((columns[groupStart].group, xs[groupStart], xs[j] + cell))
            groupStart = j + 1
        }
        let lastLabelEnd = groups.last.map { $0.x0 + Double($0.label.count) * 5.6 } ?? 0
        let width = max(x + 20, lastLabelEnd + 12, Double(title.count) * 7.8 + 16, 300)
        let frame = Frame(width: width, height: top + plotHeight + bottom, left: left, right: 20, top: top, bottom: bottom)
        var svg = open(frame, title: title, kind: "heat-map")
        for (k, group) in groups.enumerated() {
            var label = group.label
            if k < groups.count - 1 {
                let room = Int(((groups[k + 1].x0 - group.x0 - 6) / 5.6).rounded(.down))
                let firstWord = label.split(separator: " ").first.map(String.init) ?? label
                if label.count > room { label = firstWord.count <= room ? firstWord : room >= 2 ? String(label.prefix(room - 1)) + "…" : "" }
            }
            svg += text(label, x: group.x0, y: 44, cls: "group-label")
            svg += line(group.x0, 48, group.x1, 48, cls: "group-rule")
        }
        svg += text("trust", x: left - 4, y: top - 6, cls: "tick", anchor: "end")
        for (j, column) in columns.enumerated() {
            if column.skippedBefore > 0 {
                svg += text("⋯", x: xs[j] - skipGap / 2, y: top - 10, cls: "tick", anchor: "middle")
            }
            if let score = column.score {
                let h = max(0, min(1, score)) * 24
                svg += "<g>" + tooltip(column.tooltip)
                svg += rect(xs[j] + 0.5, top - 4 - h, cell - 1, h, cls: "col-score")
                svg += rect(xs[j], top - 28, cell, 24, cls: "hit")
                svg += "</g>"
            } else if let tip = column.tooltip {
                svg += "<g>" + tooltip(tip) + rect(xs[j], top - 28, cell, 24, cls: "hit") + "</g>"
            }
        }
        // Rows.
        var y = top
        for (i, row) in rows.enumerated() {
            if row.skippedBefore > 0 {
                svg += text("⋯ \(row.skippedBefore) more", x: left - markerWidth - scoreWidth - 6, y: y + 8, cls: "skip-label", anchor: "end")
                y += 10
            }
            svg += "<g class=\"row\" data-row=\"\(Markup.escape(row.id))\">" + tooltip(row.tooltip)
            svg += rect(8, y, left - 8, rowHeight, cls: "hit")
            svg += text(row.label, x: 22 + labelWidth - 4, y: y + rowHeight - 2, cls: "row-label", anchor: "end")
            svg += rect(22 + labelWidth, y + 1.5, max(0, min(1, row.score)) * (scoreWidth - 4), rowHeight - 3, cls: "row-score")
            if let marker = row.marker {
                svg += text(marker == .chosen ? "✓" : "✗", x: 22 + labelWidth + scoreWidth + 2, y: y + rowHeight - 1,
                            cls: "mark mark-\(marker.rawValue)")
            }
            svg += "</g>"
            for (j, column) in columns.enumerated() {
                let status = i < cells.count && j < cells[i].count ? cells[i][j] : nil
                svg += rect(xs[j], y, cell, rowHeight, cls: "cell \(verdictClass(status))",
                            extra: " data-row=\"\(Markup.escape(row.id))\" data-col=\"\(Markup.escape(column.id))\"")
            }
            y += rowHeight
        }
        svg += axisLabels(frame, x: xLabel, y: yLabel)
        return svg + "</svg>"
    }

    /// The verdict colour legend, as a small SVG (statuses in the order given).
    public static func verdictLegend(_ statuses: [String], notRun: Bool) -> String {
        var items = statuses.map { ($0.replacingOccurrences(of: "_", with: " "), verdictClass($0)) }
        if notRun { items.append(("not run", verdictClass(nil))) }
        var svg = ""
        var x = 4.0
        for (name, cls) in items {
            svg += rect(x, 5, 12, 12, cls: "cell \(cls)")
            svg += text(name, x: x + 17, y: 15, cls: "legend-text")
            x += 17 + Double(name.count) * 7 + 18
        }
        svg += text("✓ chosen", x: x, y: 15, cls: "mark mark-chosen")
        x += 72
        svg += text("✗ rejected", x: x, y: 15, cls: "mark mark-rejected")
        x += 80
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"legend\" viewBox=\"0 0 \(Markup.coordinate(x)) 22\" width=\"\(Markup.coordinate(x))\" height=\"22\" role=\"img\" aria-label=\"legend\">\(svg)</svg>"
    }
}
