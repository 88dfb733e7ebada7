import TierflowCore

/// What the learned router sees of a query: its text and, when it has them, structured facts.
///
/// Built from a pipeline envelope (``init(envelope:)``) or from a dataset prompt (``init(text:)``), so
/// training and live scoring featurise queries the same way.
public struct RouterQuery: Sendable, Hashable {
    /// The text the answer must address: a chat question or an alarm's tag, type and message.
    public var text: String
    /// `scada`, `chat` or `batch`, when known.
    public var source: String?
    /// Alarm severity name (`info` … `critical`), for SCADA events.
    public var severity: String?
    /// Alarm type as the SCADA system names it (`H`, `LL`, `DEV`, …).
    public var alarmType: String?
    /// The fault code, for SCADA events that carry one.
    public var faultCode: String?
    /// The kind of asset (pump, chiller, …).
    public var assetClass: String?
    /// Sensor readings attached to the event.
    public var sensorCount: Int
    /// User turns in a chat conversation (1 for a single question).
    public var turns: Int

    /// A plain-text query, as in the routing datasets.
    public init(
        text: String, source: String? = nil, severity: String? = nil, alarmType: String? = nil,
        faultCode: String? = nil, assetClass: String? = nil, sensorCount: Int = 0, turns: Int = 1
    ) {
        self.text = text
        self.source = source
        self.severity = severity
        self.alarmType = alarmType
        self.faultCode = faultCode
        self.assetClass = assetClass
        self.sensorCount = sensorCount
        self.turns = turns
    }

    /// The router's view of a payload.
    public init(payload: QueryPayload, source: String? = nil) {
        switch payload {
        case .faultEvent(let event):
            self.init(
                text: payload.text, source: source ?? "scada", severity: event.severity.rawValue,
                alarmType: event.alarmType, faultCode: event.faultCode, assetClass: event.assetClass,
                sensorCount: event.values?.count ?? 0)
        case .chat(let chat):
            self.init(
                text: chat.question, source: source ?? "chat",
                turns: max(1, chat.messages.filter { $0.role == "user" }.count))
        }
    }

    /// The router's view of a query in flight.
    public init(envelope: QueryEnvelope) {
        self.init(payload: envelope.payload, source: envelope.source.rawValue)
    }
}
