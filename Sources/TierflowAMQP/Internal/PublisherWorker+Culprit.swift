extension PublisherWorker {
    /// Which requests a channel error is about, when its text names an exchange or user id.
    static func culprit(of error: AMQPError) -> ((PublishRequest) -> Bool)? {
        func quoted(after marker: String) -> String? {
            guard let start = error.message.range(of: marker) else { return nil }
            let rest = error.message[start.upperBound...]
            guard let end = rest.firstIndex(of: "'") else { return nil }
            return String(rest[..<end])
        }
        if let exchange = quoted(after: "exchange '") { return { $0.exchange == exchange } }
        if let user = quoted(after: "user_id property set to '") { return { $0.properties.userID == user } }
        return nil
    }
}
