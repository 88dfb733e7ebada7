import Foundation
import TierflowCore

/// Turns one record's columns into a fault event through a ``BatchMapping``.
public struct BatchRecordDecoder: Sendable {
    public let mapping: BatchMapping

    public init(mapping: BatchMapping) {
        self.mapping = mapping
    }

    /// The record of line `line` from its columns (CSV: header → value; JSON: dotted path → scalar text).
    public func decode(_ columns: [String: String], line: Int) throws(BatchInputError) -> BatchRecord {
        func value(_ field: String) -> String? { mapping.value(field, in: columns) }
        func required(_ field: String) throws(BatchInputError) -> String {
            guard let text = value(field) else {
                let column = mapping.column(for: field)
                throw BatchInputError(
                    .invalidField, "\(field): no value (column \"\(column)\" is missing or empty; map one with --map \(field)=COLUMN or set a constant with --set \(field)=VALUE)",
                    line: line)
            }
            return text
        }
        let severityText = try required("severity")
        let severity: FaultEvent.Severity
        if let number = Int(severityText), (0...4).contains(number) {
            severity = FaultEvent.Severity.allCases[number]
        } else if let named = FaultEvent.Severity(name: severityText) {
            severity = named
        } else {
            throw BatchInputError(
                .invalidField, "severity: \"\(severityText)\" is not info, low, medium, high, critical or 0-4", line: line)
        }
        let values = try sensorValues(columns, line: line)
        let sourceId = value("event_id")
        let event = FaultEvent(
            eventId: sourceId ?? "line-\(line)", site: try required("site"), line: value("line"), asset: try required("asset"),
            assetClass: value("asset_class"), tag: value("tag"), alarmType: value("alarm_type"), faultCode: value("fault_code"),
            severity: severity, message: try required("message"), values: values.isEmpty ? nil : values,
            timestamp: value("timestamp"))
        return BatchRecord(line: line, event: event, sourceId: sourceId, previous: value("previous"))
    }

    private func sensorValues(_ columns: [String: String], line: Int) throws(BatchInputError) -> [String: Double] {
        var values: [String: Double] = [:]
        let column = mapping.column(for: "values")
        if let text = columns[column], !text.isEmpty {
            // A column holding a JSON object of numbers (CSV), or a JSON object flattened to `column.NAME`.
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw BatchInputError(.invalidField, "values: column \"\(column)\" is not a JSON object of numbers", line: line)
            }
            for (name, raw) in object {
                guard let number = (raw as? NSNumber)?.doubleValue else {
                    throw BatchInputError(.invalidField, "values.\(name): expected a number", line: line)
                }
                values[name] = number
            }
        }
        let prefix = column + "."
        for (key, text) in columns where key.hasPrefix(prefix) && !text.isEmpty {
            guard let number = Double(text) else {
                throw BatchInputError(.invalidField, "values.\(key.dropFirst(prefix.count)): \"\(text)\" is not a number", line: line)
            }
            values[String(key.dropFirst(prefix.count))] = number
        }
        for field in mapping.columns.keys where field.hasPrefix("values.") {
            guard let text = columns[mapping.columns[field]!], !text.isEmpty else { continue }
            guard let number = Double(text) else {
                throw BatchInputError(.invalidField, "\(field): \"\(text)\" is not a number", line: line)
            }
            values[String(field.dropFirst(7))] = number
        }
        return values
    }

    /// A JSON object flattened to dotted paths of scalar texts (numbers as text).
    public static func flatten(_ object: [String: Any], prefix: String = "", into result: inout [String: String]) {
        for (key, value) in object {
            let path = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case let nested as [String: Any]:
                flatten(nested, prefix: path, into: &result)
            case let text as String:
                result[path] = text
            case let number as NSNumber:
                result[path] = number.stringValue
            default:
                continue  // null and arrays carry nothing a fault event uses
            }
        }
    }
}
