import CCurl
import CTierflowShim

extension CurlEasyHandle {
    /// Sets every option for `transfer` on a freshly reset handle; returns the first failing code.
    func configure(for transfer: CurlTransfer, configuration: HTTPClient.Configuration) -> CURLcode {
        let prepared = transfer.request
        let request = prepared.request
        var result = CURLE_OK
        func apply(_ code: CURLcode) {
            if result == CURLE_OK { result = code }
        }
        func setLong(_ option: CURLoption, _ value: Int) {
            apply(tf_curl_easy_setopt_long(raw, option, value))
        }
        func setString(_ option: CURLoption, _ value: String) {
            // libcurl copies string options.
            apply(value.withCString { tf_curl_easy_setopt_pointer(raw, option, $0) })
        }

        errorBuffer[0] = 0
        apply(tf_curl_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer))
        setString(CURLOPT_URL, prepared.url.full)
        setString(CURLOPT_PROTOCOLS_STR, "http,https")
        setString(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        setLong(CURLOPT_NOSIGNAL, 1)
        setLong(CURLOPT_CONNECTTIMEOUT_MS, prepared.connectTimeoutMilliseconds)
        setLong(CURLOPT_TIMEOUT_MS, prepared.timeoutMilliseconds)
        setLong(CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        if request.followRedirects { setLong(CURLOPT_MAXREDIRS, max(0, request.maxRedirects)) }
        if configuration.tcpKeepAlive { setLong(CURLOPT_TCP_KEEPALIVE, 1) }
        if let userAgent = configuration.userAgent { setString(CURLOPT_USERAGENT, userAgent) }

        // Method and body. POSTFIELDS is not copied: the transfer owns the buffer until it is freed.
        let sendsBody = request.method == .post || !request.body.isEmpty
        if request.method == .head {
            setLong(CURLOPT_NOBODY, 1)
        } else if sendsBody {
            let body = transfer.makeRequestBody()
            setLong(CURLOPT_POST, 1)
            apply(tf_curl_easy_setopt_off(raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            apply(tf_curl_easy_setopt_pointer(raw, CURLOPT_POSTFIELDS, body.baseAddress))
            if request.method != .post { setString(CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
        } else if request.method == .get {
            setLong(CURLOPT_HTTPGET, 1)
        } else {
            setString(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }

        // Headers: the list must outlive the transfer, which frees it.
        if !prepared.headerLines.isEmpty {
            var list: UnsafeMutablePointer<curl_slist>?
            for line in prepared.headerLines {
                guard let appended = curl_slist_append(list, line) else {
                    curl_slist_free_all(list)
                    return CURLE_OUT_OF_MEMORY
                }
                list = appended
            }
            transfer.headerList = list
            apply(tf_curl_easy_setopt_pointer(raw, CURLOPT_HTTPHEADER, list))
        }

        // Callbacks reach the transfer through an unretained pointer; the loop keeps it alive while attached.
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        apply(tf_curl_easy_setopt_data_callback(raw, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            guard let userdata else { return 0 }
            let length = size * count
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            return length
        })
        apply(tf_curl_easy_setopt_pointer(raw, CURLOPT_HEADERDATA, context))
        apply(tf_curl_easy_setopt_data_callback(raw, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            guard let userdata else { return 0 }
            let length = size * count
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        })
        apply(tf_curl_easy_setopt_pointer(raw, CURLOPT_WRITEDATA, context))
        return result
    }
}
