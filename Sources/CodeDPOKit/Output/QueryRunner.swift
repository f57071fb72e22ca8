import Foundation

/// Runs user SQL (`codedpo query`): one or more statements, named parameters, and rows
/// written in the chosen format. Writes are refused unless allowed, before anything runs.
public struct QueryRunner {
    public let db: Database
    public let allowWrites: Bool

    public init(db: Database, allowWrites: Bool) {
        self.db = db
        self.allowWrites = allowWrites
    }

    /// Parses `name=value` pairs. A value that is exactly an integer binds as an integer;
    /// everything else binds as text (SQLite's column affinity converts it where needed).
    public static func parameters(_ pairs: [String]) throws -> [String: SQLValue] {
        var result: [String: SQLValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw StoreError("--param takes NAME=VALUE, got '\(pair)'")
            }
            var name = String(pair[..<equals])
            if let first = name.first, ":@$".contains(first) { name.removeFirst() }
            let text = String(pair[pair.index(after: equals)...])
            if let integer = Int64(text), String(integer) == text {
                result[name] = .integer(integer)
            } else {
                result[name] = .text(text)
            }
        }
        return result
    }

    /// Splits SQL into complete statements using SQLite's own tokenizer rules.
    public static func statements(_ sql: String) -> [String] {
        var result: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            current += (current.isEmpty ? "" : "\n") + line
            while let end = firstCompleteStatement(current) {
                let statement = String(current[..<end]).trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty && statement != ";" { result.append(statement) }
                current = String(current[end...])
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append(rest) }
        return result
    }

    private static func firstCompleteStatement(_ text: String) -> String.Index? {
        var index = text.startIndex
        while let semicolon = text[index...].firstIndex(of: ";") {
            let end = text.index(after: semicolon)
            if sqliteComplete(String(text[..<end])) { return end }
            index = end
        }
        return nil
    }

    /// Runs every statement; statements that return columns write their rows to `sink`.
    /// Returns the number of rows written and of rows changed.
    @discardableResult
    public func run(_ sql: String, parameters: [String: SQLValue], format: OutputFormat, sink: OutputSink,
                    maxWidth: Int = 60) throws -> (rows: Int, changes: Int) {
        let parts = Self.statements(sql)
        guard !parts.isEmpty else { throw StoreError("no SQL given") }
        var prepared: [Statement] = []
        for part in parts {
            let statement = try db.prepare(part)
            if !statement.isReadOnly && !allowWrites {
                throw StoreError("this statement changes data, and query opens the database read-only: \(part.prefix(80))\nPass --write to allow it (the change is recorded in `runs`).")
            }
            prepared.append(statement)
        }
        var rows = 0
        var changes = 0
        let used = Set(prepared.flatMap { s in (1...max(s.parameterCount, 1)).compactMap { $0 <= s.parameterCount ? s.parameterName(at: $0).map { String($0.dropFirst()) } : nil } })
        if let unused = parameters.keys.sorted().first(where: { !used.contains($0) }) {
            throw StoreError("parameter '\(unused)' is not used by the SQL")
        }
        for statement in prepared {
            let needed = (1...max(statement.parameterCount, 1)).compactMap { $0 <= statement.parameterCount ? statement.parameterName(at: $0) : nil }
            let own = parameters.filter { name, _ in needed.contains { $0.dropFirst() == name } }
            try statement.bind(named: own)
            if statement.columnCount > 0 {
                let writer = RowWriter(format: format, columns: statement.columnNames, sink: sink, maxWidth: maxWidth)
                try statement.forEachRow { row in
                    writer.add((0..<row.columnCount).map { row.value(at: $0) })
                    rows += 1
                }
                writer.finish()
            } else {
                try statement.forEachRow { _ in }
                changes += db.changes
            }
        }
        return (rows, changes)
    }
}
