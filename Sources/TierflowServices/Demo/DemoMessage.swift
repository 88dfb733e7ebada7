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
    ///
    /// Each run is made new: event and message ids get `runId` in front, and event timestamps keep their
    /// spacing but move to `now`, so a second run is not taken for repeats of the first (which the
    /// pipeline would rightly answer only once).
    public static func load(path: String, runId: String, now: Date = Date()) throws -> [DemoMessage] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StageError(code: .configuration, message: "cannot read \(path)")
        }
        var messages: [DemoMessage] = []
        var firstTimestamp: Date?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let type = object["type"] as? String, var body = object["body"] as? [String: Any]
            else {
                throw StageError(code: .configuration, message: "\(path):\(index + 1): expected {\"type\": …, \"body\": {…}}")
            }
            if let eventId = body["event_id"] as? String { body["event_id"] = "\(runId)-\(eventId)" }
            if let text = body["timestamp"] as? String, let time = Timestamp.parse(text) {
                let origin = firstTimestamp ?? time
                firstTimestamp = origin
                body["timestamp"] = Timestamp.format(now.addingTimeInterval(time.timeIntervalSince(origin)))
            }
            guard let bytes = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) else {
                throw StageError(code: .configuration, message: "\(path):\(index + 1): the body cannot be written as JSON")
            }
            let label: String
            if type == "fault_event" {
                let code = (body["fault_code"] as? String).map { " \($0)" } ?? ""
                label = "\(((object["body"] as? [String: Any])?["event_id"] as? String) ?? "?") \(body["asset"] as? String ?? "")\(code) \(body["tag"] as? String ?? "")"
            } else {
                let question = ((body["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
                label = "chat: " + String(question.prefix(34))
            }
            let messageId = (object["message_id"] as? String).map { "\(runId)-\($0)" }
            messages.append(DemoMessage(type: type, messageId: messageId, body: [UInt8](bytes), label: label))
        }
        return messages
    }
}
