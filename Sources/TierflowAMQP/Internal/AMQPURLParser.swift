/// The pieces of an `amqp://` URL.
enum AMQPURLParser {
    struct Parsed {
        var host: String
        var port: Int
        var virtualHost: String
        var username: String
        var password: String
        var heartbeat: Int?
        var connectionName: String?
        var connectTimeout: Duration?
    }

    static func parse(_ url: String) throws(AMQPError) -> Parsed {
        func invalid(_ why: String) -> AMQPError {
            AMQPError(code: .invalidURL, message: why, context: ["amqp.url": redact(url)])
        }
        guard let schemeEnd = url.range(of: "://") else {
            throw invalid("expected amqp://user:password@host:port/vhost")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "amqps" { throw invalid("TLS (amqps://) is not supported; use amqp://") }
        guard scheme == "amqp" else { throw invalid("unsupported scheme \"\(scheme)\"; expected amqp://") }

        var rest = Substring(url[schemeEnd.upperBound...])
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if rest.contains("#") { throw invalid("fragments (#) are not allowed") }
        let authority: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
        }

        var username = "guest"
        var password = "guest"
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = try decode(userInfo[..<colon], what: "user name", url: url)
                password = try decode(userInfo[userInfo.index(after: colon)...], what: "password", url: url)
            } else {
                username = try decode(userInfo, what: "user name", url: url)
                password = ""
            }
        }

        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        host = try decode(Substring(host), what: "host", url: url)
        guard !host.isEmpty else { throw invalid("missing host") }

        var port = 5672
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else {
                throw invalid("port \"\(portText)\" is not a number between 1 and 65535")
            }
            port = value
        }

        if path.contains("/") { throw invalid("the virtual host must be one path segment; write / as %2f") }
        let virtualHost = path.isEmpty ? "/" : try decode(path, what: "virtual host", url: url)

        var parsed = Parsed(
            host: host, port: port, virtualHost: virtualHost, username: username, password: password)
        for pair in (query ?? "").split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? try decode(parts[1], what: key, url: url) : ""
            switch key {
            case "heartbeat":
                guard let seconds = Int(value), (0...65_535).contains(seconds) else {
                    throw invalid("heartbeat \"\(value)\" is not a number of seconds")
                }
                parsed.heartbeat = seconds
            case "connection_name":
                parsed.connectionName = value
            case "connection_timeout":
                guard let ms = Int(value), ms > 0 else {
                    throw invalid("connection_timeout \"\(value)\" is not a number of milliseconds")
                }
                parsed.connectTimeout = .milliseconds(ms)
            default:
                throw invalid("unknown query parameter \"\(key)\"")
            }
        }
        return parsed
    }

    /// Percent-decodes one URL component; `what` names it in the error.
    static func decode(_ text: Substring, what: String, url: String) throws(AMQPError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = hexValue(utf8.popFirst()!), let low = hexValue(utf8.popFirst()!) else {
                throw AMQPError(
                    code: .invalidURL, message: "bad percent-encoding in the \(what)",
                    context: ["amqp.url": redact(url)])
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw AMQPError(
                code: .invalidURL, message: "the \(what) is not valid UTF-8 after percent-decoding",
                context: ["amqp.url": redact(url)])
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes everything but unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The URL with any password replaced by `***`, for error messages about unparseable URLs.
    static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url.contains("@") ? "(unparseable URL)" : url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        let userInfo = rest[rest.startIndex..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
