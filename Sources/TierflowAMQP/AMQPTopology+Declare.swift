import Logging

extension AMQPTopology {
    /// Declares everything on a short-lived connection of its own (for `tierflow setup`); idempotent.
    /// Publishers and consumers also declare their topology on every (re)connect.
    public func declare(endpoint: AMQPEndpoint, logger: Logger) async throws {
        let inspector = try await AMQPQueueInspector(endpoint: endpoint, logger: logger)
        do {
            try await inspector.declare(self)
        } catch {
            await inspector.close()
            throw error
        }
        await inspector.close()
    }
}
