/// One result record of a worker's "results" line, as the harness writes it:
/// `[test, "status", duration, cpu, max_rss_kb, "output", "error" | null]`.
struct ResultRecord {
    var testID: Int64
    var status: String
    var duration: Double?
    var cpu: Double?
    var maxRSSKB: Int64?
    var output: String
    var error: String?
}

/// A worker's "results" line read without building a JSON tree: the harness writes every such
/// line in one compact shape (`_encode_records`), and the general parser allocated an array and
/// a JSON value per field of every record, a visible share of the Swift side's time per
/// verdict. `parse` returns nil for anything not exactly in that shape; the caller then reads
/// the line with the general parser, so an unexpected but valid line still counts.
struct ResultsLine {
    var job: Int64
    var records: [ResultRecord]

    static func parse(_ line: String) -> ResultsLine? {
        var line = line
        return line.withUTF8 { buffer in
            var parser = JSONParser(bytes: UnsafeRawBufferPointer(buffer))
            return try? parser.resultsLine()
        }
    }
}

private struct NotResultsLine: Error {}

extension JSONParser {
    /// Skips `literal` at the current position, or throws.
    fileprivate mutating func expect(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw NotResultsLine() }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] { throw NotResultsLine() }
        position += count
    }

    fileprivate mutating func integer() throws -> Int64 {
        guard case .int(let value) = try parseNumber() else { throw NotResultsLine() }
        return value
    }

    fileprivate mutating func number() throws -> Double {
        switch try parseNumber() {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: throw NotResultsLine()
        }
    }

    fileprivate mutating func string() throws -> String {
        guard current == UInt8(ascii: "\"") else { throw NotResultsLine() }
        return try parseString()
    }

    fileprivate mutating func resultsLine() throws -> ResultsLine {
        try expect("{\"type\":\"results\",\"job\":")
        let job = try integer()
        try expect(",\"r\":[")
        var records: [ResultRecord] = []
        if current == UInt8(ascii: "]") { position += 1 } else {
            while true {
                try expect("[")
                let id = try integer()
                try expect(",")
                let status = try string()
                try expect(",")
                let duration = try number()
                try expect(",")
                let cpu = try number()
                try expect(",")
                let rss = try integer()
                try expect(",")
                let output = try string()
                try expect(",")
                var error: String?
                if current == UInt8(ascii: "n") { try expect("null") } else { error = try string() }
                try expect("]")
                records.append(ResultRecord(testID: id, status: status, duration: duration, cpu: cpu,
                                            maxRSSKB: rss, output: output, error: error))
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect("]")
                break
            }
        }
        try expect("}")
        guard position == bytes.count else { throw NotResultsLine() }
        return ResultsLine(job: job, records: records)
    }
}
