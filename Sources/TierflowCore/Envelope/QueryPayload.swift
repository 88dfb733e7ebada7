/// What a query asks: a SCADA fault event or a chat conversation.
public enum QueryPayload: Codable, Sendable, Hashable {
    case faultEvent(FaultEvent)
    case chat(ChatRequest)

    enum CodingKeys: String, CodingKey { case kind, event, chat }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "fault_event": self = .faultEvent(try container.decode(FaultEvent.self, forKey: .event))
        case "chat": self = .chat(try container.decode(ChatRequest.self, forKey: .chat))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown payload kind \"\(kind)\" (expected fault_event or chat)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .faultEvent(let event):
            try container.encode("fault_event", forKey: .kind)
            try container.encode(event, forKey: .event)
        case .chat(let chat):
            try container.encode("chat", forKey: .kind)
            try container.encode(chat, forKey: .chat)
        }
    }

    /// The fault event, when this is one.
    public var faultEvent: FaultEvent? {
        if case .faultEvent(let event) = self { return event }
        return nil
    }

    /// Text that stands for the query in logs, caches and the router's features.
    public var text: String {
        switch self {
        case .faultEvent(let event):
            return [event.faultCode, event.tag, event.alarmType, event.message].compactMap { $0 }.joined(separator: " ")
        case .chat(let chat):
            return chat.question
        }
    }
}
