import Foundation
import TierflowCore

/// One line of a demo file: `{"type": "fault_event" | "chat", "message_id": …, "body": {…}}`.
public struct DemoMessage: Sendable {
    public var type: String
    public var messageId: String?
    public var body: [UInt8]
    /// A short label for the results table.
    public var label: String

    /// Reads a JSON Lines demo file; a bad line is an error naming its number.
    public static func load(path: String) throws -> [DemoMessage] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StageError(code: .configuration, message: "cannot read \(path)")
        }
        var messages: [DemoMessage] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let type = object["type"] as? String, let body = object["body"] as? [String: Any],
                let bytes = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            else {
                throw StageError(code: .configuration, message: "\(path):\(index + 1): expected {\"type\": …, \"body\": {…}}")
            }
            let label: String
            if type == "fault_event" {
                let code = (body["fault_code"] as? String).map { " \($0)" } ?? ""
                label = "\(body["event_id"] as? String ?? "?") \(body["asset"] as? String ?? "")\(code) \(body["tag"] as? String ?? "")"
            } else {
                let question = ((body["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
                label = "chat: " + String(question.prefix(34))
            }
            messages.append(DemoMessage(type: type, messageId: object["message_id"] as? String, body: [UInt8](bytes), label: label))
        }
        return messages
    }
}
