/// Collects a method frame, its content header and its body frames into one message.
struct ContentAssembler<Head> {
    private var head: Head?
    private var properties = AMQPMessageProperties()
    private var expected: UInt64 = 0
    private var body: [UInt8] = []

    /// Whether a message is partly received.
    var isAssembling: Bool { head != nil }

    mutating func begin(_ head: Head) {
        self.head = head
        expected = 0
        body = []
    }

    /// The complete message when the body is empty, else nil (bodies follow).
    mutating func header(bodySize: UInt64, properties: AMQPMessageProperties) -> (Head, AMQPMessageProperties, [UInt8])? {
        guard head != nil else { return nil }
        self.properties = properties
        expected = bodySize
        if bodySize == 0 { return finish() }
        return nil
    }

    /// The complete message once all body bytes arrived, else nil.
    mutating func body(_ chunk: [UInt8]) -> (Head, AMQPMessageProperties, [UInt8])? {
        guard head != nil else { return nil }
        if body.isEmpty && UInt64(chunk.count) == expected {
            body = chunk
        } else {
            if body.isEmpty { body.reserveCapacity(Int(clamping: expected)) }
            body.append(contentsOf: chunk)
        }
        return UInt64(body.count) >= expected ? finish() : nil
    }

    /// Forgets a partial message (the connection dropped).
    mutating func reset() {
        head = nil
        body = []
    }

    private mutating func finish() -> (Head, AMQPMessageProperties, [UInt8])? {
        guard let head else { return nil }
        let result = (head, properties, body)
        self.head = nil
        body = []
        return result
    }
}
