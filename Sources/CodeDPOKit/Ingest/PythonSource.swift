import Foundation

/// A JSON value as Python source text (lists for arrays, dicts for objects, True/False/None),
/// pure: how evalplus's argument lists become the arguments of a test's call.
public enum PythonSource {
    public static func of(_ value: JSON) -> String {
        switch value {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .double(let number):
            if number.isNaN { return "float('nan')" }
            if number.isInfinite { return number > 0 ? "float('inf')" : "float('-inf')" }
            return "\(number)"
        case .string(let text): return string(text)
        case .array(let items): return "[" + items.map(of).joined(separator: ", ") + "]"
        case .object(let members): return "{" + members.map { string($0.0) + ": " + of($0.1) }.joined(separator: ", ") + "}"
        }
    }

    /// A double-quoted Python string literal; non-ASCII characters are kept as they are.
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0xD800...0xDFFF).contains(scalar.value) {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
