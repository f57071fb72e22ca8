import Foundation

/// The output formats every listing command offers: a table for people, the rest for scripts.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json, jsonl
}

/// Writes rows in one output format. JSON, JSONL and CSV stream row by row; a table has to
/// see every row to size its columns, so it buffers.
public final class RowWriter {
    public let format: OutputFormat
    public let columns: [String]
    let sink: OutputSink
    /// Longest cell a table shows before cutting it with "…" (0: no limit).
    let maxWidth: Int
    private var tableRows: [[SQLValue]] = []
    private var count = 0

    public init(format: OutputFormat, columns: [String], sink: OutputSink, maxWidth: Int = 60) {
        self.format = format
        self.columns = columns
        self.sink = sink
        self.maxWidth = maxWidth
        switch format {
        case .csv: sink.write(columns.map(Self.csvField).joined(separator: ",") + "\r\n")
        case .json: sink.write("[")
        default: break
        }
    }

    public func add(_ values: [SQLValue]) {
        switch format {
        case .table: tableRows.append(values)
        case .csv: sink.write(values.map { Self.csvField($0.string ?? "") }.joined(separator: ",") + "\r\n")
        case .json:
            sink.write((count == 0 ? "\n" : ",\n") + object(values).text)
        case .jsonl:
            sink.write(object(values).text + "\n")
        }
        count += 1
    }

    public func add(_ values: [JSON]) {
        if format == .json || format == .jsonl {
            let line = JSON.object(Array(zip(columns, values))).text
            sink.write(format == .jsonl ? line + "\n" : (count == 0 ? "\n" : ",\n") + line)
            count += 1
        } else {
            add(values.map(Self.sqlValue))
        }
    }

    public func finish() {
        switch format {
        case .table: renderTable()
        case .json: sink.write(count == 0 ? "]\n" : "\n]\n")
        default: break
        }
        sink.flush()
    }

    private func object(_ values: [SQLValue]) -> JSON {
        .object(zip(columns, values).map { ($0, JSON($1)) })
    }

    static func sqlValue(_ json: JSON) -> SQLValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .integer(b ? 1 : 0)
        case .int(let v): return .integer(v)
        case .double(let v): return .real(v)
        case .string(let s): return .text(s)
        default: return .text(json.text)
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A cell as people read it: one line (newlines shown as ⏎), cut at maxWidth.
    func cell(_ value: SQLValue) -> String {
        var text: String
        switch value {
        case .null: text = ""
        case .real(let v): text = Self.formatReal(v)
        case .blob(let b): text = "<\(b.count) bytes>"
        default: text = value.string ?? ""
        }
        if text.contains(where: \.isNewline) || text.contains("\t") {
            text = text.replacingOccurrences(of: "\r\n", with: "⏎").replacingOccurrences(of: "\n", with: "⏎")
                .replacingOccurrences(of: "\t", with: "  ")
        }
        if maxWidth > 0 && text.count > maxWidth { text = String(text.prefix(maxWidth - 1)) + "…" }
        return text
    }

    static func formatReal(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(format: "%.1f", value) }
        let text = String(format: "%.6g", value)
        return text
    }

    private func renderTable() {
        let cells = tableRows.map { $0.map(cell) }
        let numeric = columns.indices.map { column in
            !tableRows.isEmpty && tableRows.allSatisfy {
                switch $0[column] { case .integer, .real, .null: return true; default: return false }
            }
        }
        var widths = columns.map(\.count)
        for row in cells { for (i, text) in row.enumerated() { widths[i] = max(widths[i], text.count) } }
        func pad(_ text: String, _ i: Int) -> String {
            let fill = String(repeating: " ", count: widths[i] - text.count)
            return numeric[i] ? fill + text : text + fill
        }
        sink.write(trimTrailing(columns.indices.map { pad(columns[$0], $0) }.joined(separator: "  ") + "\n"))
        sink.write(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n")
        for row in cells {
            sink.write(trimTrailing(row.indices.map { pad(row[$0], $0) }.joined(separator: "  ") + "\n"))
        }
        if tableRows.isEmpty { sink.write("(no rows)\n") }
    }

    private func trimTrailing(_ line: String) -> String {
        var line = line
        line.removeLast()
        while line.last == " " { line.removeLast() }
        return line + "\n"
    }
}
