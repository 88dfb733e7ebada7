/// Why a batch command could not do what was asked.
public struct BatchError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        /// No batch with that id.
        public static let notFound = Code("not_found")
        /// The batch is in a state that does not allow it (cancelled, finished, already running).
        public static let wrongState = Code("wrong_state")
        /// Another process is running the batch (it holds the batch's lock).
        public static let alreadyRunning = Code("already_running")
        /// The broker refused a message.
        public static let publishRefused = Code("publish_refused")
        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
