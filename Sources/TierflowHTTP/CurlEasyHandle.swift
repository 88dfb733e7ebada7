import CCurl

/// A pooled `CURL *` with its error buffer. Owned by the curl thread; not `Sendable`.
final class CurlEasyHandle {
    /// The easy handle.
    let raw: UnsafeMutableRawPointer
    /// The `CURLOPT_ERRORBUFFER` storage (`CURL_ERROR_SIZE` bytes), alive as long as the handle.
    let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates an easy handle, or returns `nil` when libcurl is out of memory.
    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// The text libcurl wrote into the error buffer for the last transfer, if any.
    var errorText: String? {
        errorBuffer[0] == 0 ? nil : String(cString: errorBuffer)
    }

    /// Clears all options (keeping caches and connections) so the handle can be pooled.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
    }
}
