/// A fault event as a SCADA system publishes it to the ingest exchange.
public struct FaultEvent: Codable, Sendable, Hashable {
    /// The publisher's id for the event; a repeated id is answered once.
    public var eventId: String
    public var site: String
    public var line: String?
    public var asset: String
    /// The kind of asset (pump, chiller, compressor), used by Layer 0 to match knowledge-base entries.
    public var assetClass: String?
    /// PLC tag the alarm was raised on, such as `FIR123`.
    public var tag: String?
    /// Alarm type as the SCADA system names it (`H`, `LL`, `DEV`, …).
    public var alarmType: String?
    public var faultCode: String?
    public var severity: Severity
    public var message: String
    /// Sensor readings at the time of the alarm, by name.
    public var values: [String: Double]?
    /// When the alarm was raised, ISO 8601.
    public var timestamp: String?

    /// How urgent an alarm is.
    public enum Severity: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
        case info, low, medium, high, critical

        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

        /// Reads the names above in any case, common SCADA synonyms, or a number 0 (info) to 4 (critical).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) {
                guard let severity = Self.allCases.dropFirst(max(0, number)).first, number >= 0 else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "severity \(number) is outside 0...4")
                }
                self = severity
                return
            }
            let text = try container.decode(String.self)
            guard let severity = Self(name: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "unknown severity \"\(text)\" (expected info, low, medium, high or critical)")
            }
            self = severity
        }

        /// A severity from its name or a common synonym (`warning`, `alarm`, `emergency`, …).
        public init?(name: String) {
            switch name.lowercased() {
            case "info", "information", "informational", "notice": self = .info
            case "low", "minor": self = .low
            case "medium", "warning", "warn", "moderate": self = .medium
            case "high", "major", "alarm", "error": self = .high
            case "critical", "emergency", "urgent", "fatal": self = .critical
            default: return nil
            }
        }
    }

    public init(
        eventId: String, site: String, line: String? = nil, asset: String, assetClass: String? = nil,
        tag: String? = nil, alarmType: String? = nil, faultCode: String? = nil, severity: Severity,
        message: String, values: [String: Double]? = nil, timestamp: String? = nil
    ) {
        self.eventId = eventId
        self.site = site
        self.line = line
        self.asset = asset
        self.assetClass = assetClass
        self.tag = tag
        self.alarmType = alarmType
        self.faultCode = faultCode
        self.severity = severity
        self.message = message
        self.values = values
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", site, line, asset, assetClass = "asset_class", tag, alarmType = "alarm_type"
        case faultCode = "fault_code", severity, message, values, timestamp
    }
}
