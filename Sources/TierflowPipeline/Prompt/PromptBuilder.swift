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
            messages = [.init(role: "user", content: Self.render(template, values: Self.values(of: event)))]
        case .chat(let chat):
            if let template = templates["chat"], template.trimmingCharacters(in: .whitespacesAndNewlines) != "{messages}" {
                let transcript = chat.messages.map { "\($0.role): \($0.content)" }.joined(separator: "\n")
                messages = [.init(role: "user", content: Self.render(template, values: ["messages": transcript, "question": chat.question]))]
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

    static func values(of event: FaultEvent) -> [String: String] {
        let readings = (event.values ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return [
            "site": event.site, "line": event.line ?? "-", "asset": event.asset, "asset_class": event.assetClass ?? "unknown",
            "tag": event.tag ?? "-", "alarm_type": event.alarmType ?? "-", "fault_code": event.faultCode ?? "-",
            "severity": event.severity.rawValue, "message": event.message, "values": readings.isEmpty ? "none" : readings,
            "timestamp": event.timestamp ?? "-",
        ]
    }

    /// Replaces `{name}` with `values[name]`; leaves unknown placeholders as written.
    static func render(_ template: String, values: [String: String]) -> String {
        var output = ""
        output.reserveCapacity(template.utf8.count + 64)
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            if let value = values[name] {
                output += value
            } else {
                output += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output.trimmingWhitespace()
    }
}
