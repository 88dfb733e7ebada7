import Yams

/// A position in a parsed YAML configuration: the node, its key path and its line.
///
/// Every accessor throws a ``ConfigError`` that names the file, line and key path, so a
/// configuration mistake is reported where it was made. Scalars go through environment
/// interpolation (``EnvironmentInterpolation``) before they are converted.
public struct ConfigNode {
    /// The dotted key path, such as `tiers[1].price.input`.
    public let path: String
    /// 1-based line of the node, when known.
    public let line: Int?
    let node: Node?
    let context: Context

    struct Context: Sendable {
        let file: String
        let environment: [String: String]
    }

    init(node: Node?, path: String, line: Int?, context: Context) {
        self.node = node
        self.path = path
        self.line = line ?? node?.mark?.line
        self.context = context
    }

    /// Parses `text` and returns its root node.
    public static func parse(
        yaml text: String,
        file: String,
        environment: [String: String]
    ) throws(ConfigError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(code: .syntax, file: file, line: error.line, key: "", message: error.problem)
        } catch {
            throw ConfigError(code: .syntax, file: file, line: nil, key: "", message: "\(error)")
        }
        let context = Context(file: file, environment: environment)
        return ConfigNode(node: root, path: "", line: root?.mark?.line ?? 1, context: context)
    }

    /// An error at this node.
    public func error(_ code: ConfigError.Code, _ message: String) -> ConfigError {
        ConfigError(code: code, file: context.file, line: line, key: path, message: message)
    }

    /// Whether the node is absent or an explicit null.
    public var isNull: Bool {
        guard let node else { return true }
        if case .scalar(let scalar) = node, scalar.style == .plain {
            return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        }
        return false
    }

    // MARK: Mappings

    /// The keys of a mapping, in file order; throws if this is not a mapping or holds a key not in `allowed`.
    @discardableResult
    public func keys(allowed: Set<String>) throws(ConfigError) -> [String] {
        let mapping = try self.mapping()
        var keys: [String] = []
        for (key, _) in mapping {
            guard let name = key.string else {
                throw child(named: "?", node: key).error(.wrongType, "keys must be text")
            }
            if !allowed.contains(name) {
                let hint = Self.closest(to: name, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
                let known = allowed.sorted().joined(separator: ", ")
                throw child(named: name, node: key)
                    .error(.unknownKey, "unknown key\(hint); expected one of: \(known)")
            }
            keys.append(name)
        }
        return keys
    }

    /// The keys of a mapping, in file order, whatever they are; throws if this is not a mapping.
    public func allKeys() throws(ConfigError) -> [String] {
        try mapping().compactMap { $0.0.string }
    }

    /// The value under `key`, or a node for which ``isNull`` is true when the key is absent.
    public subscript(key: String) -> ConfigNode {
        guard case .mapping(let mapping)? = node else {
            return ConfigNode(node: nil, path: join(key), line: line, context: context)
        }
        for (k, value) in mapping where k.string == key {
            return ConfigNode(node: value, path: join(key), line: value.mark?.line ?? k.mark?.line, context: context)
        }
        return ConfigNode(node: nil, path: join(key), line: line, context: context)
    }

    /// The value under `key`; throws if it is absent.
    public func required(_ key: String) throws(ConfigError) -> ConfigNode {
        _ = try mapping()
        let value = self[key]
        if value.node == nil {
            throw error(.missingKey, "missing required key \"\(key)\"")
        }
        return value
    }

    /// The value under `key`, or nil when absent or null.
    public func optional(_ key: String) -> ConfigNode? {
        let value = self[key]
        return value.isNull ? nil : value
    }

    // MARK: Sequences

    /// The elements of a sequence.
    public func elements() throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let sequence)? = node else {
            throw error(.wrongType, "expected a list, got \(describeKind())")
        }
        return sequence.enumerated().map { index, element in
            ConfigNode(node: element, path: "\(path)[\(index)]", line: element.mark?.line, context: context)
        }
    }

    // MARK: Scalars

    /// The scalar as text, after `${ENV}` interpolation.
    public func string() throws(ConfigError) -> String {
        guard case .scalar(let scalar)? = node else {
            throw error(.wrongType, "expected text, got \(describeKind())")
        }
        return try EnvironmentInterpolation.expand(scalar.string, environment: context.environment, at: self)
    }

    /// The scalar as a number.
    public func double() throws(ConfigError) -> Double {
        let text = try scalarText(expecting: "a number")
        guard let value = Double(text.trimmingSpaces), value.isFinite else {
            throw error(.wrongType, "expected a number, got \"\(text)\"")
        }
        return value
    }

    /// The scalar as a whole number.
    public func int() throws(ConfigError) -> Int {
        let text = try scalarText(expecting: "a whole number")
        guard let value = Int(text.trimmingSpaces) else {
            throw error(.wrongType, "expected a whole number, got \"\(text)\"")
        }
        return value
    }

    /// The scalar as a boolean (`true`/`false`, `yes`/`no`, `on`/`off`).
    public func bool() throws(ConfigError) -> Bool {
        let text = try scalarText(expecting: "true or false")
        switch text.trimmingSpaces.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(.wrongType, "expected true or false, got \"\(text)\"")
        }
    }

    /// A number that must lie in `range`.
    public func double(in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let value = try double()
        guard range.contains(value) else {
            throw error(.invalidValue, "expected a number from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A whole number that must lie in `range`.
    public func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try int()
        guard range.contains(value) else {
            throw error(.invalidValue, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// Text that must be one of `choices`.
    public func choice(_ choices: [String]) throws(ConfigError) -> String {
        let value = try string()
        guard choices.contains(value) else {
            let list = choices.map { "\"\($0)\"" }.joined(separator: ", ")
            throw error(.invalidValue, "expected one of \(list), got \"\(value)\"")
        }
        return value
    }

    // MARK: Helpers

    private func mapping() throws(ConfigError) -> Node.Mapping {
        guard case .mapping(let mapping)? = node else {
            throw error(.wrongType, "expected a mapping of keys to values, got \(describeKind())")
        }
        return mapping
    }

    private func scalarText(expecting what: String) throws(ConfigError) -> String {
        guard case .scalar = node else {
            throw error(.wrongType, "expected \(what), got \(describeKind())")
        }
        return try string()
    }

    private func describeKind() -> String {
        switch node {
        case nil: return "nothing"
        case .scalar(let scalar)?: return "\"\(scalar.string)\""
        case .mapping?: return "a mapping"
        case .sequence?: return "a list"
        case .alias?: return "an alias"
        }
    }

    private func child(named name: String, node: Node) -> ConfigNode {
        ConfigNode(node: node, path: join(name), line: node.mark?.line, context: context)
    }

    private func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private static func closest(to name: String, in candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension YamlError {
    fileprivate var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    fileprivate var problem: String {
        switch self {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            if let context { return "\(problem) \(context.text)".trimmingSpaces }
            return problem
        default:
            return "\(self)"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
