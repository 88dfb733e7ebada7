/// A problem with the pipeline configuration, naming the file, line and key.
///
/// Its description reads like a compiler diagnostic:
/// `pipeline.yaml:14 tiers[1].price.input: expected a number, got "cheap"`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unreadableFile
            case syntax
            case missingKey
            case unknownKey
            case wrongType
            case invalidValue
            case missingEnvironmentVariable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file could not be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// The file is not valid YAML.
        public static let syntax = Code(.syntax)
        /// A required key is absent.
        public static let missingKey = Code(.missingKey)
        /// A key that the configuration does not know (often a typo).
        public static let unknownKey = Code(.unknownKey)
        /// A value of the wrong type, such as text where a number belongs.
        public static let wrongType = Code(.wrongType)
        /// A value of the right type that is out of range or inconsistent.
        public static let invalidValue = Code(.invalidValue)
        /// `${NAME}` names an environment variable that is not set and has no default.
        public static let missingEnvironmentVariable = Code(.missingEnvironmentVariable)

        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public var code: Code
    /// The configuration file's name as given.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// The dotted key path, such as `tiers[1].price.input`; empty for the whole file.
    public var key: String
    /// What is wrong, for a person.
    public var message: String

    public init(code: Code, file: String, line: Int?, key: String, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        return key.isEmpty ? "\(location): \(message)" : "\(location) \(key): \(message)"
    }
}
