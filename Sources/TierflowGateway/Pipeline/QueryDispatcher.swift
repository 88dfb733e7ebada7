import TierflowCore
import TierflowPipeline

/// Sends a query into the pipeline and waits for its final result.
public protocol QueryDispatcher: Sendable {
    /// Publishes `envelope` and returns its result; throws ``GatewayError`` (504 after `timeout`, 503 when the
    /// pipeline cannot take it) or `CancellationError` when the caller went away.
    func answer(_ envelope: QueryEnvelope, timeout: Duration) async throws -> ResultMessage
    /// Publishes `envelope` without a reply address and without waiting for its result (the caller finds it
    /// in `results`); throws ``GatewayError`` 503 when the pipeline cannot take it.
    func publish(_ envelope: QueryEnvelope) async throws
}
