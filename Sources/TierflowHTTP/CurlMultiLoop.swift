import CCurl
import CTierflowShim
import Logging

/// The curl thread: owns one `CURLM *`, its easy handles and every in-flight transfer.
///
/// Created and run on the client's dedicated thread; never shared. It sleeps in `curl_multi_poll`
/// until socket activity, a libcurl timer, or `curl_multi_wakeup` from ``CurlCommandQueue``.
final class CurlMultiLoop {
    private let multi: UnsafeMutableRawPointer
    private let queue: CurlCommandQueue
    private let configuration: HTTPClient.Configuration
    private let logger: Logger
    private var transfersByID: [UInt64: CurlTransfer] = [:]
    private var transfersByHandle: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var idleHandles: [CurlEasyHandle] = []
    /// No transfer expires before this, so deadlines need no scan until then.
    private var earliestDeadline: ContinuousClock.Instant?

    init(multi: UnsafeMutableRawPointer, queue: CurlCommandQueue, configuration: HTTPClient.Configuration, logger: Logger) {
        self.multi = multi
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until a shutdown command, then fails what is left and frees every handle.
    func run() {
        var running: Int32 = 0
        var stopping = false
        while !stopping {
            for command in queue.drain() {
                switch command {
                case .start(let id, let request, let sink): start(id: id, request: request, sink: sink)
                case .cancel(let id): cancel(id: id)
                case .shutdown: stopping = true
                }
            }
            if stopping { break }
            let performResult = curl_multi_perform(multi, &running)
            if performResult != CURLM_OK {
                logger.error("curl_multi_perform failed", metadata: ["curl.multi_code": "\(performResult.rawValue)"])
            }
            collectFinishedTransfers()
            let untilNextDeadline = expireOverdueTransfers()
            // Waits for activity, libcurl's next timeout, a wakeup, or the next deadline (1 s at most).
            _ = curl_multi_poll(multi, nil, 0, Int32(min(untilNextDeadline, 1000)), nil)
        }
        tearDown()
    }

    // MARK: commands

    private func start(id: UInt64, request: PreparedRequest, sink: TransferSink) {
        let transfer = CurlTransfer(id: id, request: request, sink: sink, maxBodySize: configuration.maxResponseBodySize)
        guard let handle = idleHandles.popLast() ?? CurlEasyHandle() else {
            transfer.fail(error(for: transfer, code: .other, reason: "curl_easy_init failed (out of memory)"))
            return
        }
        let configured = handle.configure(for: transfer, configuration: configuration)
        let added = configured == CURLE_OK ? curl_multi_add_handle(multi, handle.raw) : CURLM_OK
        guard configured == CURLE_OK, added == CURLM_OK else {
            let reason = configured != CURLE_OK
                ? "could not configure the transfer: \(String(cString: curl_easy_strerror(configured)))"
                : "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(added)))"
            recycle(handle)
            transfer.fail(error(for: transfer, code: .other, reason: reason))
            return
        }
        transfer.easy = handle
        transfersByID[id] = transfer
        transfersByHandle[handle.raw] = transfer
        earliestDeadline = min(earliestDeadline ?? transfer.deadline, transfer.deadline)
        logger.trace("HTTP request started", metadata: metadata(for: transfer))
    }

    private func cancel(id: UInt64) {
        guard let transfer = transfersByID[id] else { return }
        detach(transfer)
        logger.debug("HTTP request cancelled", metadata: metadata(for: transfer))
        transfer.fail(CancellationError())
    }

    // MARK: completion

    private func collectFinishedTransfers() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            // Copy out before detaching: the message is invalid once the handle is removed.
            let result = message.pointee.data.result
            guard let transfer = transfersByHandle[handle], let easy = transfer.easy else { continue }
            var status = 0
            var totalSeconds = 0.0
            _ = tf_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            _ = tf_curl_easy_getinfo_double(handle, CURLINFO_TOTAL_TIME, &totalSeconds)
            let errorText = easy.errorText
            detach(transfer)
            var details = metadata(for: transfer)
            details["http.duration_ms"] = "\(Int(totalSeconds * 1000))"
            if result == CURLE_OK {
                details["http.status"] = "\(status)"
                logger.debug("HTTP request finished", metadata: details)
                transfer.succeed(status: status, totalTime: .seconds(totalSeconds))
            } else {
                let failure = error(for: transfer, result: result, errorText: errorText)
                details["http.error"] = "\(failure.code)"
                details["curl.code"] = "\(result.rawValue)"
                logger.debug("HTTP request failed", metadata: details)
                transfer.fail(failure)
            }
        }
    }

    /// Fails transfers past their deadline with `.timeout`; returns milliseconds until the next deadline.
    private func expireOverdueTransfers() -> Int {
        guard !transfersByID.isEmpty, let earliest = earliestDeadline else {
            earliestDeadline = nil
            return Int.max
        }
        let now = ContinuousClock.now
        if now < earliest { return PreparedRequest.milliseconds(earliest - now) }
        var next: ContinuousClock.Instant?
        for transfer in transfersByID.values {
            if transfer.deadline <= now {
                detach(transfer)
                let reason = "timed out after \(transfer.request.timeoutMilliseconds) milliseconds "
                    + "(no free connection or no response in time)"
                logger.debug("HTTP request timed out", metadata: metadata(for: transfer))
                transfer.fail(error(for: transfer, code: .timeout, reason: reason))
            } else {
                next = min(next ?? transfer.deadline, transfer.deadline)
            }
        }
        earliestDeadline = next
        return next.map { PreparedRequest.milliseconds($0 - now) } ?? Int.max
    }

    /// Removes the transfer from the multi handle and the tables, and pools its easy handle.
    private func detach(_ transfer: CurlTransfer) {
        transfersByID[transfer.id] = nil
        guard let handle = transfer.easy else { return }
        transfersByHandle[handle.raw] = nil
        _ = curl_multi_remove_handle(multi, handle.raw)
        transfer.easy = nil
        recycle(handle)
    }

    private func recycle(_ handle: CurlEasyHandle) {
        handle.reset()
        if idleHandles.count < configuration.maxIdleHandles { idleHandles.append(handle) }
    }

    private func tearDown() {
        let shutdownReason = "the HTTP client was shut down"
        for transfer in Array(transfersByID.values) {
            detach(transfer)
            transfer.fail(error(for: transfer, code: .shutdown, reason: shutdownReason))
        }
        for case .start(_, let request, let sink) in queue.close() {
            sink.fail(HTTPClientError(
                code: .shutdown, message: "\(request.request.method) \(request.url.redacted): \(shutdownReason)",
                method: request.request.method, url: request.url.redacted
            ))
        }
        idleHandles.removeAll()
        _ = curl_multi_cleanup(multi)
        logger.debug("HTTP client stopped")
        queue.markFinished()
    }

    // MARK: errors and logging

    private func error(for transfer: CurlTransfer, result: CURLcode, errorText: String?) -> HTTPClientError {
        let code: HTTPClientError.Code
        switch result {
        case CURLE_OPERATION_TIMEDOUT: code = .timeout
        case CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR: code = .connectionFailed
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: code = .couldNotResolveHost
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: code = .invalidURL
        case CURLE_SEND_ERROR: code = .sendFailed
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            code = .receiveFailed
        case CURLE_WRITE_ERROR where transfer.bodyTooLarge: code = .responseTooLarge
        default: code = .other
        }
        var reason = errorText ?? String(cString: curl_easy_strerror(result))
        if code == .responseTooLarge {
            reason = "response body larger than \(configuration.maxResponseBodySize) bytes"
        }
        var failure = error(for: transfer, code: code, reason: reason)
        failure.curlCode = Int(result.rawValue)
        return failure
    }

    private func error(for transfer: CurlTransfer, code: HTTPClientError.Code, reason: String) -> HTTPClientError {
        let method = transfer.request.request.method
        let url = transfer.request.url.redacted
        return HTTPClientError(code: code, message: "\(method) \(url): \(reason)", method: method, url: url)
    }

    private func metadata(for transfer: CurlTransfer) -> Logger.Metadata {
        [
            "http.method": "\(transfer.request.request.method)",
            "http.url": "\(transfer.request.url.redacted)",
            "http.request_id": "\(transfer.id)",
        ]
    }
}
