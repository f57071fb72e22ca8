/// Reads `assert f(arg, ...) == value` where every argument and the value are Python literals
/// that JSON represents exactly: numbers, strings, True/False/None, lists, and dicts with
/// string keys. Anything else (tuples, sets, names, calls, keyword arguments, a message after
/// the assert) gives nil: the test is then only usable as an assert, never misread.
public enum PythonLiteral {
    public struct Call: Equatable, Sendable {
        public let arguments: [JSON]
        public let expected: JSON
    }

    public static func call(assert code: String, function: String) -> Call? {
        var parser = Parser(Array(code.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars))
        guard parser.keyword("assert"), parser.keyword(function), parser.take("(") else { return nil }
        var arguments: [JSON] = []
        parser.skipSpace()
        while !parser.take(")") {
            guard let value = parser.literal() else { return nil }
            arguments.append(value)
            parser.skipSpace()
            if parser.take(")") { break }
            guard parser.take(",") else { return nil }
            parser.skipSpace()
        }
        guard parser.take("="), parser.take("="), let expected = parser.literal() else { return nil }
        parser.skipSpace()
        return parser.atEnd ? Call(arguments: arguments, expected: expected) : nil
    }

    /// The value of one literal alone (for tests and callers with a bare expression).
    public static func value(_ text: String) -> JSON? {
        var parser = Parser(Array(text.unicodeScalars))
        guard let value = parser.literal() else { return nil }
        parser.skipSpace()
        return parser.atEnd ? value : nil
    }

    struct Parser {
        let text: [Unicode.Scalar]
        var index = 0

        init(_ text: [Unicode.Scalar]) { self.text = text }

        var atEnd: Bool { index >= text.count }
        var current: Unicode.Scalar? { atEnd ? nil : text[index] }

        mutating func skipSpace() {
            while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
        }

        /// Takes one character after optional space.
        mutating func take(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            guard current == c else { return false }
            index += 1
            return true
        }

        /// Takes a whole word (not the prefix of a longer name).
        mutating func keyword(_ word: String) -> Bool {
            skipSpace()
            let scalars = Array(word.unicodeScalars)
            guard index + scalars.count <= text.count, Array(text[index..<index + scalars.count]) == scalars else { return false }
            let after = index + scalars.count < text.count ? text[index + scalars.count] : " "
            if after == "_" || after.properties.isAlphabetic || after.properties.numericType != nil { return false }
            index += scalars.count
            return true
        }

        mutating func literal() -> JSON? {
            skipSpace()
            guard let c = current else { return nil }
            switch c {
            case "\"", "'": return string()
            case "[": return sequence(close: "]").map(JSON.array)
            case "{": return dictionary()
            case "-", "+", "0"..."9", ".": return number()
            default:
                if keyword("True") { return .bool(true) }
                if keyword("False") { return .bool(false) }
                if keyword("None") { return .null }
                return nil
            }
        }

        mutating func sequence(close: Unicode.Scalar) -> [JSON]? {
            index += 1
            var items: [JSON] = []
            while !take(close) {
                guard let item = literal() else { return nil }
                items.append(item)
                if take(close) { break }
                guard take(",") else { return nil }
            }
            return items
        }

        mutating func dictionary() -> JSON? {
            index += 1
            var fields: [(String, JSON)] = []
            while !take("}") {
                skipSpace()
                guard current == "\"" || current == "'", case .string(let key)? = string(), take(":"), let value = literal() else { return nil }
                guard !fields.contains(where: { $0.0 == key }) else { return nil }
                fields.append((key, value))
                if take("}") { break }
                guard take(",") else { return nil }
            }
            return .object(fields)
        }

        mutating func string() -> JSON? {
            let quote = text[index]
            // Triple-quoted strings are left to the assert form.
            if index + 2 < text.count && text[index + 1] == quote && text[index + 2] == quote { return nil }
            index += 1
            var out = String.UnicodeScalarView()
            while let c = current {
                index += 1
                if c == quote { return .string(String(out)) }
                if c == "\n" { return nil }
                guard c == "\\" else { out.append(c); continue }
                guard let escaped = current else { return nil }
                index += 1
                switch escaped {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                case "\\", "'", "\"": out.append(escaped)
                default: return nil  // \x, \u, line continuations: rare in tests, left to the assert form
                }
            }
            return nil
        }

        mutating func number() -> JSON? {
            let start = index
            if current == "-" || current == "+" { index += 1 }
            var isFloat = false
            while let c = current, ("0"..."9").contains(c) || c == "." || c == "e" || c == "E" || c == "_"
                    || ((c == "-" || c == "+") && (text[index - 1] == "e" || text[index - 1] == "E")) {
                if c == "." || c == "e" || c == "E" { isFloat = true }
                if c == "_" { return nil }
                index += 1
            }
            if let c = current, c == "j" || c == "J" || c.properties.isAlphabetic { return nil }
            let literal = String(String.UnicodeScalarView(text[start..<index]))
            if isFloat { return Double(literal).flatMap { $0.isFinite ? JSON.double($0) : nil } }
            // Python reads 0-prefixed and huge integers differently from JSON.
            let digits = literal.drop { $0 == "-" || $0 == "+" }
            if digits.count > 1 && digits.hasPrefix("0") { return nil }
            return Int64(literal.hasPrefix("+") ? String(literal.dropFirst()) : literal).map(JSON.int)
        }
    }
}
