import Hummingbird
import Logging

/// Turns every error into an OpenAI-style error response: ``GatewayError`` as it is, Hummingbird's own
/// errors (unknown path, wrong method) with their status, anything else as a 500.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let handlers: GatewayHandlers

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return handlers.errorResponse(error)
        } catch let error as any HTTPResponseError {
            let path = request.uri.path
            let message = error.status == .notFound
                ? "Unknown request URL: \(request.method) \(path)."
                : "\(error.status.reasonPhrase) (\(request.method) \(path))."
            let code = error.status == .notFound ? "unknown_url" : "http_\(error.status.code)"
            return handlers.errorResponse(
                GatewayError(status: error.status, type: "invalid_request_error", code: code, message: message))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return handlers.errorResponse(
                GatewayError(status: .internalServerError, type: "server_error", code: "internal_error", message: "Internal error."))
        }
    }
}
