import Hummingbird
import TierflowMetrics

/// Records every request in ``GatewayMetrics``. Installed outside ``OpenAIErrorMiddleware``, so it sees the
/// status the client gets, errors included.
struct GatewayMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let endpoint = GatewayMetrics.Endpoint(path: request.uri.path)
        let start = ContinuousClock.now
        metrics.started()
        do {
            let response = try await next(request, context)
            metrics.finished(endpoint, status: Int(response.status.code), since: start)
            return response
        } catch {
            // Only what the error middleware lets through (cancellation): the client got no answer.
            metrics.finished(endpoint, status: (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 499, since: start)
            throw error
        }
    }
}
