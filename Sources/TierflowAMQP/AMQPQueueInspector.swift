import Logging

/// Reads queue depths (passive `queue.declare`) on a dedicated connection and OS thread, for queue-depth
/// aware routing and `tierflow status`. Also declares and deletes topology for setup tools and tests.
public final class AMQPQueueInspector: Sendable {
    /// A queue's counts at one moment.
    public struct QueueStatus: Sendable, Hashable {
        /// Messages ready for delivery (not counting unacked ones).
        public var messageCount: Int
        /// Consumers subscribed to the queue.
        public var consumerCount: Int

        public init(messageCount: Int, consumerCount: Int) {
            self.messageCount = messageCount
            self.consumerCount = consumerCount
        }
    }

    private let thread: CommandThread

    /// Connects; throws if the broker cannot be reached or refuses the credentials.
    public init(endpoint: AMQPEndpoint, logger: Logger) async throws {
        thread = try await CommandThread(endpoint: endpoint, name: "amqp-inspector", logger: logger)
    }

    /// The queue's counts; throws ``AMQPError/Code/notFound`` if it does not exist.
    public func status(ofQueue name: String) async throws -> QueueStatus {
        try await thread.run { connection throws(AMQPError) in
            let counts = try connection.inspectQueue(name)
            return QueueStatus(messageCount: counts.messages, consumerCount: counts.consumers)
        }
    }

    /// Declares every exchange, queue and binding (idempotent).
    public func declare(_ topology: AMQPTopology) async throws {
        try await thread.run { connection throws(AMQPError) in try connection.declare(topology) }
    }

    /// Deletes a queue and its messages (no error if it does not exist).
    public func deleteQueue(_ name: String) async throws {
        try await thread.run { connection throws(AMQPError) in try connection.deleteQueue(name) }
    }

    /// Deletes an exchange (no error if it does not exist).
    public func deleteExchange(_ name: String) async throws {
        try await thread.run { connection throws(AMQPError) in try connection.deleteExchange(name) }
    }

    /// Closes the connection and ends its thread.
    public func close() async {
        await thread.close()
    }
}
