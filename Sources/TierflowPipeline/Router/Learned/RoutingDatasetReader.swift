import Foundation

/// Reads routing datasets: JSON Lines with `id`, `dataset`, `category`, `prompt` and `scores`
/// (model → quality in [0, 1]), as in `../shared/data/routing`.
///
/// Optional SCADA fields (`source`, `severity`, `alarm_type`, `fault_code`, `asset_class`) feed the
/// structural features. Bad lines are reported with their line numbers; blank lines are skipped.
public struct RoutingDatasetReader: Sendable {
    /// One bad line.
    public struct LineError: Error, Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String

        public var description: String { "\(file):\(line): \(message)" }
    }

    /// The examples of the good lines and the errors of the bad ones.
    public struct Result: Sendable {
        public var examples: [RoutingExample]
        public var errors: [LineError]
    }

    /// Whether a line without `scores` is bad (training and evaluation) or fine (scoring).
    public var requireScores: Bool

    public init(requireScores: Bool = true) {
        self.requireScores = requireScores
    }

    /// Reads the file at `path`; throws only if it cannot be read at all.
    public func read(path: String) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LearnedRouterError(.badDataset, "cannot read \(path)")
        }
        return parse(data, file: path)
    }

    /// Parses JSON Lines; `file` names the source in errors.
    public func parse(_ data: Data, file: String) -> Result {
        var examples: [RoutingExample] = []
        var errors: [LineError] = []
        var seen: [String: Int] = [:]
        var lineNumber = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 10 { end += 1 }
                lineNumber += 1
                defer { start = end + 1 }
                if end == bytes.count && start == end { break }
                let line = Data(bytes[start..<end])
                guard line.contains(where: { $0 > 32 }) else { continue }
                switch parseLine(line) {
                case .success(let example):
                    if let first = seen[example.id] {
                        errors.append(LineError(file: file, line: lineNumber, message: "id \"\(example.id)\" repeats line \(first)"))
                    } else {
                        seen[example.id] = lineNumber
                        examples.append(example)
                    }
                case .failure(let message):
                    errors.append(LineError(file: file, line: lineNumber, message: message.text))
                }
            }
        }
        return Result(examples: examples, errors: errors)
    }

    struct Message: Error { var text: String }

    func parseLine(_ line: Data) -> Swift.Result<RoutingExample, Message> {
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            return .failure(Message(text: "not a JSON object"))
        }
        guard let id = Self.text(object["id"]), !id.isEmpty else { return .failure(Message(text: "\"id\" is missing or empty")) }
        guard let prompt = object["prompt"] as? String else { return .failure(Message(text: "\"prompt\" is missing or not a string")) }
        let rawScores = object["scores"] as? [String: Any] ?? [:]
        if requireScores && rawScores.isEmpty {
            return .failure(Message(text: "\"scores\" is missing or not an object of model → quality"))
        }
        if object["scores"] != nil && !(object["scores"] is [String: Any]) && !(object["scores"] is NSNull) {
            return .failure(Message(text: "\"scores\" is not an object of model → quality"))
        }
        var scores: [String: Double] = [:]
        for (model, value) in rawScores {
            if value is NSNull { continue }
            guard let number = value as? NSNumber,
                number.doubleValue.isFinite, (0...1).contains(number.doubleValue)
            else {
                return .failure(Message(text: "scores[\"\(model)\"]: expected a number in [0, 1], got \(value)"))
            }
            scores[model] = number.doubleValue
        }
        let query = RouterQuery(
            text: prompt, source: object["source"] as? String, severity: object["severity"] as? String,
            alarmType: object["alarm_type"] as? String, faultCode: object["fault_code"] as? String,
            assetClass: object["asset_class"] as? String)
        return .success(RoutingExample(
            id: id, dataset: object["dataset"] as? String ?? "", category: object["category"] as? String, query: query,
            scores: scores))
    }

    static func text(_ value: Any?) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }
}
