/// Expands `${NAME}` and `${NAME:-default}` in configuration values.
///
/// `$$` stands for a literal `$`. A `${NAME}` whose variable is unset (or empty) and that has no
/// default is an error naming the variable, the key and the line; the value itself is never shown,
/// because interpolated values are usually secrets.
public enum EnvironmentInterpolation {
    /// Returns `text` with every reference replaced from `environment`.
    public static func expand(
        _ text: String,
        environment: [String: String],
        at node: ConfigNode
    ) throws(ConfigError) -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                output.append(character)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            if next < text.endIndex, text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
                continue
            }
            guard next < text.endIndex, text[next] == "{" else {
                output.append(character)
                index = next
                continue
            }
            guard let close = text[next...].firstIndex(of: "}") else {
                throw node.error(.invalidValue, "unterminated \"${\" in value")
            }
            let reference = text[text.index(after: next)..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = reference.range(of: ":-") {
                name = reference[..<separator.lowerBound]
                fallback = reference[separator.upperBound...]
            } else {
                name = reference
                fallback = nil
            }
            guard isValidName(name) else {
                throw node.error(.invalidValue, "\"${\(reference)}\" is not a valid environment reference")
            }
            if let value = environment[String(name)], !value.isEmpty {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                throw node.error(
                    .missingEnvironmentVariable,
                    "environment variable \(name) is not set and \"${\(name)}\" has no default (write ${\(name):-default})"
                )
            }
            index = text.index(after: close)
        }
        return output
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
