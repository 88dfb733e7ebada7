import Foundation
import TierflowCore

/// Which column of the input feeds which field of a fault event, and constant values for fields the
/// export lacks. Fields not mapped are read from the column of the same name when there is one.
///
/// Fields: `event_id`, `site`, `line`, `asset`, `asset_class`, `tag`, `alarm_type`, `fault_code`,
/// `severity`, `message`, `timestamp`, `values` (a JSON object of numbers), `values.NAME` (one number),
/// `previous` (the diagnosis the line carried, compared with the new one). JSON Lines columns may be
/// dotted paths into nested objects (`body.message`).
public struct BatchMapping: Sendable, Hashable, Codable {
    public static let fields: Set<String> = [
        "event_id", "site", "line", "asset", "asset_class", "tag", "alarm_type", "fault_code", "severity", "message",
        "timestamp", "values", "previous",
    ]
    /// A fault event cannot be made without these.
    public static let required = ["site", "asset", "severity", "message"]

    /// field → column
    public var columns: [String: String]
    /// field → constant value
    public var constants: [String: String]

    public init(columns: [String: String] = [:], constants: [String: String] = [:]) throws(BatchInputError) {
        for field in Array(columns.keys) + Array(constants.keys) where !Self.isField(field) {
            throw BatchInputError(
                .invalidMapping, "unknown field \"\(field)\"; fields are \(Self.fields.sorted().joined(separator: ", ")), values.NAME")
        }
        self.columns = columns
        self.constants = constants
    }

    static func isField(_ name: String) -> Bool {
        fields.contains(name) || (name.hasPrefix("values.") && name.count > 7)
    }

    /// From `--map FIELD=COLUMN` and `--set FIELD=VALUE` flags.
    public static func flags(map: [String], set: [String]) throws(BatchInputError) -> BatchMapping {
        func pairs(_ items: [String], _ flag: String) throws(BatchInputError) -> [String: String] {
            var result: [String: String] = [:]
            for item in items {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                    throw BatchInputError(.invalidMapping, "\(flag) \(item): expected FIELD=VALUE")
                }
                result[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
            return result
        }
        return try BatchMapping(columns: pairs(map, "--map"), constants: pairs(set, "--set"))
    }

    /// From a YAML (or JSON) file: `map: {FIELD: COLUMN, …}` and `set: {FIELD: VALUE, …}`.
    public static func load(path: String) throws -> BatchMapping {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw BatchInputError(.unreadableFile, "cannot read the mapping file", file: path)
        }
        let root = try ConfigNode.parse(yaml: text, file: path, environment: [:])
        try root.keys(allowed: ["map", "set"])
        func section(_ key: String) throws -> [String: String] {
            guard let node = root.optional(key) else { return [:] }
            var result: [String: String] = [:]
            for field in try node.allKeys() {
                guard isField(field) else {
                    throw node[field].error(
                        .unknownKey, "unknown field; fields are \(fields.sorted().joined(separator: ", ")), values.NAME")
                }
                result[field] = try node[field].string()
            }
            return result
        }
        return try BatchMapping(columns: section("map"), constants: section("set"))
    }

    /// `other`'s entries win.
    public func merging(_ other: BatchMapping) -> BatchMapping {
        var merged = self
        merged.columns.merge(other.columns) { _, new in new }
        merged.constants.merge(other.constants) { _, new in new }
        return merged
    }

    /// The column `field` is read from (its mapping, or the column of the same name).
    public func column(for field: String) -> String { columns[field] ?? field }

    /// The value of `field` in `record`: the mapped column when it is not empty, else the constant.
    public func value(_ field: String, in record: [String: String]) -> String? {
        if let text = record[column(for: field)]?.trimmingCharacters(in: .whitespaces), !text.isEmpty { return text }
        return constants[field]
    }

    /// Fields that can never get a value from a CSV with `header`: required, not in the header, no constant.
    public func unsatisfied(header: [String]) -> [String] {
        let names = Set(header)
        return Self.required.filter { constants[$0] == nil && !names.contains(column(for: $0)) }
    }

    /// A stable text of the mapping (for the default batch id).
    public var canonical: String {
        let map = columns.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let set = constants.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "map:" + map.joined(separator: ",") + ";set:" + set.joined(separator: ",")
    }
}
