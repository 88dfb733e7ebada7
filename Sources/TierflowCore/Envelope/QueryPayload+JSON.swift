extension QueryPayload: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        switch self {
        case .faultEvent(let event):
            writer.field("kind", "fault_event")
            writer.field("event", event)
        case .chat(let chat):
            writer.field("kind", "chat")
            writer.field("chat", chat)
        }
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var kind: String?, event: FaultEvent?, chat: ChatRequest?
        try scanner.object { key, scanner in
            switch key {
            case "kind": kind = try scanner.string()
            case "event": event = try FaultEvent(json: &scanner)
            case "chat": chat = try ChatRequest(json: &scanner)
            default: try scanner.skipValue()
            }
        }
        switch try JSONScanner.required(kind, "kind") {
        case "fault_event": self = .faultEvent(try JSONScanner.required(event, "event"))
        case "chat": self = .chat(try JSONScanner.required(chat, "chat"))
        default: throw MissingJSONField(name: "kind")
        }
    }
}

extension FaultEvent: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("event_id", eventId)
        writer.field("site", site)
        writer.field("line", line)
        writer.field("asset", asset)
        writer.field("asset_class", assetClass)
        writer.field("tag", tag)
        writer.field("alarm_type", alarmType)
        writer.field("fault_code", faultCode)
        writer.field("severity", severity.rawValue)
        writer.field("message", message)
        writer.field("values", values)
        writer.field("timestamp", timestamp)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var eventId: String?, site: String?, line: String?, asset: String?, assetClass: String?, tag: String?
        var alarmType: String?, faultCode: String?, severity: Severity?, message: String?, values: [String: Double]?
        var timestamp: String?
        try scanner.object { key, scanner in
            switch key {
            case "event_id": eventId = try scanner.string()
            case "site": site = try scanner.string()
            case "line": line = try scanner.optionalString()
            case "asset": asset = try scanner.string()
            case "asset_class": assetClass = try scanner.optionalString()
            case "tag": tag = try scanner.optionalString()
            case "alarm_type": alarmType = try scanner.optionalString()
            case "fault_code": faultCode = try scanner.optionalString()
            case "severity":
                if scanner.nextIsString() {
                    severity = try JSONScanner.required(Severity(name: try scanner.string()), "severity")
                } else {
                    let number = try scanner.int()
                    guard (0..<Severity.allCases.count).contains(number) else { throw MissingJSONField(name: "severity") }
                    severity = Severity.allCases[number]
                }
            case "message": message = try scanner.string()
            case "values": values = try scanner.optionalNumbers()
            case "timestamp": timestamp = try scanner.optionalString()
            default: try scanner.skipValue()
            }
        }
        self.init(
            eventId: try JSONScanner.required(eventId, "event_id"), site: try JSONScanner.required(site, "site"), line: line,
            asset: try JSONScanner.required(asset, "asset"), assetClass: assetClass, tag: tag, alarmType: alarmType, faultCode: faultCode,
            severity: try JSONScanner.required(severity, "severity"), message: try JSONScanner.required(message, "message"), values: values,
            timestamp: timestamp)
    }
}

extension ChatRequest: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("messages", messages)
        writer.field("model", model)
        writer.field("max_tokens", maxTokens)
        writer.field("temperature", temperature)
        writer.field("user", user)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var messages: [Message]?, model: String?, maxTokens: Int?, temperature: Double?, user: String?
        try scanner.object { key, scanner in
            switch key {
            case "messages": messages = try scanner.list(of: Message.self)
            case "model": model = try scanner.optionalString()
            case "max_tokens": maxTokens = try scanner.optionalInt()
            case "temperature": temperature = try scanner.optionalDouble()
            case "user": user = try scanner.optionalString()
            default: try scanner.skipValue()
            }
        }
        self.init(messages: try JSONScanner.required(messages, "messages"), model: model, maxTokens: maxTokens, temperature: temperature, user: user)
    }
}

extension ChatRequest.Message: JSONFastCodable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("role", role)
        writer.field("content", content)
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        var role: String?, content: String?
        try scanner.object { key, scanner in
            switch key {
            case "role": role = try scanner.string()
            case "content": content = try scanner.string()
            default: try scanner.skipValue()
            }
        }
        self.init(role: try JSONScanner.required(role, "role"), content: try JSONScanner.required(content, "content"))
    }
}
