import CCurl

/// One in-flight request on the curl thread: its C-side resources and the response being assembled.
/// Not `Sendable`; libcurl's callbacks reach it through `WRITEDATA` / `HEADERDATA` on the curl thread.
final class CurlTransfer {
    let id: UInt64
    let request: PreparedRequest
    /// When the loop fails the transfer itself if libcurl has not: libcurl 7.88 does not apply
    /// `CURLOPT_TIMEOUT` while a transfer waits for a free connection (`CURLMOPT_MAX_HOST_CONNECTIONS`).
    let deadline: ContinuousClock.Instant
    private let sink: TransferSink
    private let maxBodySize: Int

    /// The easy handle while the transfer is attached to the multi handle.
    var easy: CurlEasyHandle?
    /// `CURLOPT_HTTPHEADER` list; freed with the transfer.
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// `CURLOPT_POSTFIELDS` storage; libcurl does not copy it, so it lives as long as the transfer.
    private(set) var requestBody: UnsafeMutableRawBufferPointer?

    private var status = 0
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var headDelivered = false
    private var isComplete = false
    /// Set when the write callback refused data because of the body size limit.
    private(set) var bodyTooLarge = false

    init(id: UInt64, request: PreparedRequest, sink: TransferSink, maxBodySize: Int) {
        self.id = id
        self.request = request
        self.sink = sink
        self.maxBodySize = maxBodySize
        // A little later than libcurl's own timeout, so libcurl's more specific error normally wins.
        self.deadline = .now + .milliseconds(request.timeoutMilliseconds) + .milliseconds(50)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        requestBody?.deallocate()
    }

    /// Copies the request body into storage that outlives the transfer.
    func makeRequestBody() -> UnsafeMutableRawBufferPointer {
        if let requestBody { return requestBody }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, request.request.body.count), alignment: 1)
        request.request.body.withUnsafeBytes { storage.copyMemory(from: $0) }
        requestBody = storage
        return storage
    }

    // MARK: libcurl callbacks (curl thread)

    /// Handles one header line (status line, field, or the blank line ending a header block).
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        var bytes = line[...]
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes = bytes.dropLast() }
        if bytes.isEmpty {
            endOfHeaderBlock()
        } else if bytes.starts(with: "HTTP/".utf8) {
            // A new response starts (interim 1xx or a followed redirect): keep only the final one.
            let fields = bytes.split(separator: 0x20, maxSplits: 2)
            status = fields.count > 1 ? Int(String(decoding: fields[1], as: UTF8.self)) ?? 0 : 0
            headers = HTTPHeaders()
        } else if bytes.first == 0x20 || bytes.first == 0x09 {
            headers.appendToLastValue(" " + String(decoding: bytes, as: UTF8.self).trimmingASCIISpaces())
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: bytes[..<colon], as: UTF8.self)
            let value = String(decoding: bytes[(colon + 1)...], as: UTF8.self).trimmingASCIISpaces()
            headers.add(name: name, value: value)
        }
    }

    /// Handles body bytes; returns `false` to make libcurl abort the transfer.
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        switch sink {
        case .buffered:
            guard body.count + chunk.count <= maxBodySize else {
                bodyTooLarge = true
                return false
            }
            body.append(contentsOf: chunk)
        case .streaming(_, let bodyContinuation):
            deliverHead(status: status)
            if case .terminated = bodyContinuation.yield(Array(chunk)) { return false }
        }
        return true
    }

    private func endOfHeaderBlock() {
        guard case .streaming = sink, status >= 200 else { return }
        let isRedirect = (300..<400).contains(status) && headers.contains("Location")
        if request.request.followRedirects && isRedirect { return }
        deliverHead(status: status)
    }

    private func deliverHead(status: Int) {
        guard !headDelivered, case .streaming(let head, _) = sink else { return }
        headDelivered = true
        head.resume(returning: HTTPStreamingResponse.Head(status: status, headers: headers))
    }

    // MARK: completion (curl thread)

    /// Completes the transfer successfully; `status` is libcurl's final response code.
    func succeed(status: Int, totalTime: Duration) {
        guard !isComplete else { return }
        isComplete = true
        switch sink {
        case .buffered(let continuation):
            continuation.resume(returning: HTTPResponse(status: status, headers: headers, body: body, totalTime: totalTime))
        case .streaming(_, let bodyContinuation):
            deliverHead(status: status)
            bodyContinuation.finish()
        }
    }

    /// Completes the transfer with `error`.
    func fail(_ error: any Error) {
        guard !isComplete else { return }
        isComplete = true
        switch sink {
        case .buffered(let continuation):
            continuation.resume(throwing: error)
        case .streaming(let head, let bodyContinuation):
            if !headDelivered {
                headDelivered = true
                head.resume(throwing: error)
            }
            bodyContinuation.finish(throwing: error)
        }
    }
}
