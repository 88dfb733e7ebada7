import CCurl

/// Process-wide libcurl initialisation, performed exactly once.
enum CurlGlobal {
    /// `curl_global_init`'s result; a global `static let` is initialised once, thread-safely.
    private static let initResult: UInt32 = curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue

    /// Runs `curl_global_init` on first use; later calls do nothing.
    static func ensureInitialized() {
        precondition(initResult == CURLE_OK.rawValue, "curl_global_init failed with CURLcode \(initResult)")
    }
}
