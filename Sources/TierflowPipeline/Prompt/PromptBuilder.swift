import TierflowCore
import Foundation

/// A prompt ready for a backend: chat messages in OpenAI's roles.
public struct Prompt: Sendable, Hashable {
    public var messages: [ChatRequest.Message]
    public var maxTokens: Int?

    public init(messages: [ChatRequest.Message], maxTokens: Int? = nil) {
        self.messages = messages
        self.maxTokens = maxTokens
    }

    /// All message texts, for token estimates and hashing.
    public var text: String { messages.map(\.content).joined(separator: "\n") }
}

/// Renders a query into a prompt with the per-source templates of `pipeline.yaml`.
///
/// Templates use `{name}` placeholders: for SCADA events `site`, `line`, `asset`, `asset_class`, `tag`,
/// `alarm_type`, `fault_code`, `severity`, `message`, `values`, `timestamp`; for chat `messages`
/// (the conversation as text) and `question` (the last user message). Unknown placeholders stay as
/// written. A chat query without a template is sent as its own messages.
public struct PromptBuilder: Sendable {
    public var templates: [String: String]
    /// Appended when a tier asks the model to rate its own confidence.
    public static let confidenceInstruction =
        "After your answer, on a line of its own, write \"Confidence: N\" where N is from 0 to 100."

    public init(templates: [String: String]) {
        self.templates = templates
    }

    /// The prompt for `envelope`, asking for a self-rated confidence when `askForConfidence` is set.
    public func prompt(for envelope: QueryEnvelope, askForConfidence: Bool, maxTokens: Int?) -> Prompt {
        var messages: [ChatRequest.Message]
        switch envelope.payload {
        case .faultEvent(let event):
            let template = templates[envelope.source.rawValue] ?? templates["scada"] ?? Self.defaultFaultTemplate
            messages = [.init(role: "user", content: Self.render(template) { Self.value($0, of: event) })]
        case .chat(let chat):
            if let template = templates["chat"], template.trimmingCharacters(in: .whitespacesAndNewlines) != "{messages}" {
                let transcript = chat.messages.map { "\($0.role): \($0.content)" }.joined(separator: "\n")
                let values = ["messages": transcript, "question": chat.question]
                messages = [.init(role: "user", content: Self.render(template) { values[$0] })]
            } else {
                messages = chat.messages
            }
        }
        if askForConfidence {
            messages.append(.init(role: "user", content: Self.confidenceInstruction))
        }
        return Prompt(messages: messages, maxTokens: maxTokens)
    }

    static let defaultFaultTemplate = "Diagnose this alarm: {fault_code} {tag} {alarm_type} on {asset} at {site}: {message}"

    /// The value of placeholder `name` for `event`, or nil for a name templates do not know.
    static func value(_ name: String, of event: FaultEvent) -> String? {
        switch name {
        case "site": return event.site
        case "line": return event.line ?? "-"
        case "asset": return event.asset
        case "asset_class": return event.assetClass ?? "unknown"
        case "tag": return event.tag ?? "-"
        case "alarm_type": return event.alarmType ?? "-"
        case "fault_code": return event.faultCode ?? "-"
        case "severity": return event.severity.rawValue
        case "message": return event.message
        case "timestamp": return event.timestamp ?? "-"
        case "values":
            let readings = (event.values ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            return readings.isEmpty ? "none" : readings
        default: return nil
        }
    }

    /// Replaces `{name}` with `value(name)`; leaves unknown placeholders as written. Scans UTF-8 bytes (the
    /// braces are ASCII) and copies the text between placeholders in runs.
    static func render(_ template: String, value: (String) -> String?) -> String {
        let bytes = Array(template.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        var copied = 0
        var index = 0
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "{")) {
            guard let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")) else { break }
            if let replacement = value(String(decoding: bytes[(open + 1)..<close], as: UTF8.self)) {
                output.append(contentsOf: bytes[copied..<open])
                output.append(contentsOf: replacement.utf8)
                copied = close + 1
            }
            index = close + 1
        }
        output.append(contentsOf: bytes[copied...])
        return String(decoding: output, as: UTF8.self).trimmingWhitespace()
    }
}
