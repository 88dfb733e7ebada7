import CCurl
import CTierflowShim
import Foundation
import Logging
import Synchronization

/// An HTTP/1.1 and HTTP/2 client on libcurl's multi interface.
///
/// One `curl_multi` handle is driven by one dedicated OS thread per client; async callers hand requests
/// to it through a locked command queue and wait on continuations, so no libcurl call ever runs on
/// Swift's cooperative thread pool. Many requests run concurrently and reuse keep-alive connections.
///
/// Call ``shutdown()`` when done. Dropping the last reference also stops the thread, without waiting;
/// bodies still being streamed then fail with ``HTTPClientError/Code/shutdown``.
public final class HTTPClient: Sendable {
    /// The settings the client was created with.
    public let configuration: Configuration
    private let queue: CurlCommandQueue
    private let nextTransferID = Atomic<UInt64>(1)

    /// Creates a client and starts its curl thread.
    public init(configuration: Configuration = Configuration(), logger: Logger) {
        CurlGlobal.ensureInitialized()
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed (out of memory)")
        }
        _ = tf_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, configuration.maxConnectionsPerHost))
        _ = tf_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, configuration.maxCachedConnections))
        let pointer = CurlMultiPointer(raw: multi)
        let queue = CurlCommandQueue(multi: pointer)
        self.configuration = configuration
        self.queue = queue
        // From here on only the curl thread touches the multi handle (plus `curl_multi_wakeup`).
        let thread = Thread {
            // Named here rather than with `Thread.name`, which Foundation on Linux does not apply reliably.
            tf_set_current_thread_name("tierflow-curl")
            CurlMultiLoop(multi: pointer.raw, queue: queue, configuration: configuration, logger: logger).run()
        }
        thread.start()
    }

    deinit {
        queue.requestShutdown(waiter: nil)
    }

    /// Sends `request` and returns the complete final response.
    ///
    /// HTTP error statuses are returned, not thrown. Throws ``HTTPClientError`` when no complete
    /// response arrives, and `CancellationError` if the calling task is cancelled (the transfer is
    /// removed at once).
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let prepared = try PreparedRequest(request)
        let id = nextTransferID.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                enqueue(id: id, request: prepared, sink: .buffered(continuation))
            }
        } onCancel: {
            queue.enqueueCancel(id: id)
        }
    }

    /// Sends `request` and returns once the final response's status and headers have arrived; the body
    /// follows as a stream of chunks (for server-sent events and other long responses).
    ///
    /// ``HTTPRequest/timeout`` still bounds the whole transfer, body included. Ending iteration early or
    /// cancelling the consuming task aborts the transfer. The body is not size-limited and chunks are
    /// buffered without back-pressure, so consume it promptly.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let prepared = try PreparedRequest(request)
        let id = nextTransferID.wrappingAdd(1, ordering: .relaxed).oldValue
        let (body, bodyContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        bodyContinuation.onTermination = { [queue] termination in
            if case .cancelled = termination { queue.enqueueCancel(id: id) }
        }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<HTTPStreamingResponse.Head, any Error>) in
                enqueue(id: id, request: prepared, sink: .streaming(head: continuation, body: bodyContinuation))
            }
        } onCancel: {
            queue.enqueueCancel(id: id)
        }
        return HTTPStreamingResponse(status: head.status, headers: head.headers, body: body)
    }

    /// Fails in-flight and queued requests with ``HTTPClientError/Code/shutdown``, frees every libcurl
    /// handle and waits for the curl thread to exit. Later requests fail at once. Safe to call repeatedly.
    public func shutdown() async {
        await withCheckedContinuation { continuation in
            queue.requestShutdown(waiter: continuation)
        }
    }

    private func enqueue(id: UInt64, request: PreparedRequest, sink: TransferSink) {
        switch queue.enqueueStart(id: id, request: request, sink: sink) {
        case .enqueued:
            break
        case .cancelled:
            sink.fail(CancellationError())
        case .shutdown:
            let method = request.request.method
            sink.fail(HTTPClientError(
                code: .shutdown, message: "\(method) \(request.url.redacted): the HTTP client is shut down",
                method: method, url: request.url.redacted
            ))
        }
    }
}
