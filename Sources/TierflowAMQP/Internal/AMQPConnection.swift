import CRabbitMQ
import CTierflowShim
import Glibc

/// One rabbitmq-c connection with one channel (number 1).
///
/// Not `Sendable`: it is created, used and destroyed on the one thread that owns it. Every call that can
/// block is bounded by the endpoint's connect or RPC timeout.
final class AMQPConnection {
    let endpoint: AMQPEndpoint
    let channel: amqp_channel_t = 1
    private let state: amqp_connection_state_t
    /// Whether the socket is believed usable.
    private(set) var isOpen = false
    /// Whether channel 1 is open (the broker may close it on an error).
    private(set) var isChannelOpen = false
    let arena = CArena()

    /// Connects, logs in and opens channel 1.
    init(endpoint: AMQPEndpoint) throws(AMQPError) {
        self.endpoint = endpoint
        guard let state = amqp_new_connection() else {
            throw AMQPError(code: .connectionFailed, message: "rabbitmq-c could not allocate a connection")
        }
        self.state = state
        guard let socket = amqp_tcp_socket_new(state) else {
            throw failure(.connectionFailed, "rabbitmq-c could not create a TCP socket")
        }
        var connectTimeout = Self.timeval(endpoint.connectTimeout)
        errno = 0
        let status = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connectTimeout)
        if status != AMQP_STATUS_OK.rawValue {
            let reason = errno != 0 ? " (\(String(cString: strerror(errno))))" : ""
            throw failure(
                .connectionFailed,
                "cannot connect to \(endpoint.host):\(endpoint.port): \(Self.statusText(status))\(reason)")
        }
        _ = amqp_set_handshake_timeout(state, &connectTimeout)
        var rpcTimeout = Self.timeval(endpoint.rpcTimeout)
        _ = amqp_set_rpc_timeout(state, &rpcTimeout)
        try login()
        isOpen = true
        try openChannel()
    }

    deinit {
        amqp_destroy_connection(state)
    }

    // MARK: Handshake

    private func login() throws(AMQPError) {
        var properties: [String: AMQPHeaderValue] = [
            "capabilities": .table([
                "connection.blocked": true, "consumer_cancel_notify": true, "publisher_confirms": true,
                "basic.nack": true,
            ])
        ]
        if let name = endpoint.connectionName { properties["connection_name"] = .string(name) }
        var table = FieldTableCodec.encode(properties, in: arena)
        defer { arena.reset() }
        let reply = tf_amqp_login_plain_with_properties(
            state, endpoint.virtualHost, 0, 131_072, Int32(endpoint.heartbeatSeconds), &table,
            endpoint.username, endpoint.password)
        guard reply.reply_type.rawValue == AMQP_RESPONSE_NORMAL.rawValue else {
            var error = replyError(reply, doing: "log in")
            if error.replyCode == 403, error.message.contains("refused using authentication") {
                error.code = .authenticationFailed
                error.message = "the broker refused user \"\(endpoint.username)\": wrong user name or password"
            } else if error.code == .connectionClosed {
                error.code = .connectionFailed
            }
            throw error
        }
    }

    /// Opens channel 1 (again, after the broker closed it).
    func openChannel() throws(AMQPError) {
        guard amqp_channel_open(state, channel) != nil else { throw lastRPCError(doing: "open a channel") }
        isChannelOpen = true
    }

    // MARK: Synchronous broker calls

    /// Declares every exchange, queue and binding; an identical re-declare is a no-op at the broker.
    func declare(_ topology: AMQPTopology) throws(AMQPError) {
        defer { arena.reset() }
        for exchange in topology.exchanges {
            let ok = amqp_exchange_declare(
                state, channel, arena.bytes(exchange.name), arena.bytes(exchange.kind.rawValue), 0,
                exchange.durable ? 1 : 0, exchange.autoDelete ? 1 : 0, exchange.internal ? 1 : 0,
                FieldTableCodec.encode(exchange.arguments, in: arena))
            if ok == nil { throw lastRPCError(doing: "declare exchange").with("amqp.exchange", exchange.name) }
        }
        for queue in topology.queues { _ = try declareQueue(queue) }
        for binding in topology.bindings {
            let ok = amqp_queue_bind(
                state, channel, arena.bytes(binding.queue), arena.bytes(binding.exchange),
                arena.bytes(binding.routingKey), FieldTableCodec.encode(binding.arguments, in: arena))
            if ok == nil {
                throw lastRPCError(doing: "bind queue").with("amqp.queue", binding.queue)
                    .with("amqp.exchange", binding.exchange)
            }
        }
    }

    /// Declares one queue; returns its name (server-chosen when `queue.name` is empty) and counts.
    func declareQueue(_ queue: AMQPTopology.Queue) throws(AMQPError) -> (name: String, messages: Int, consumers: Int) {
        defer { arena.reset() }
        guard
            let ok = amqp_queue_declare(
                state, channel, arena.bytes(queue.name), 0, queue.durable ? 1 : 0, queue.exclusive ? 1 : 0,
                queue.autoDelete ? 1 : 0, FieldTableCodec.encode(queue.declareArguments, in: arena))
        else { throw lastRPCError(doing: "declare queue").with("amqp.queue", queue.name) }
        return (ok.pointee.queue.string, Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))
    }

    /// Passive declare: the counts of an existing queue; throws ``AMQPError/Code/notFound`` if absent
    /// (the broker then closes the channel; this reopens it).
    func inspectQueue(_ name: String) throws(AMQPError) -> (messages: Int, consumers: Int) {
        defer { arena.reset() }
        guard let ok = amqp_queue_declare(state, channel, arena.bytes(name), 1, 0, 0, 0, amqp_empty_table) else {
            let error = lastRPCError(doing: "inspect queue").with("amqp.queue", name)
            if isOpen && !isChannelOpen { try openChannel() }
            throw error
        }
        return (Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))
    }

    func deleteQueue(_ name: String) throws(AMQPError) {
        defer { arena.reset() }
        if amqp_queue_delete(state, channel, arena.bytes(name), 0, 0) == nil {
            throw lastRPCError(doing: "delete queue").with("amqp.queue", name)
        }
    }

    func deleteExchange(_ name: String) throws(AMQPError) {
        defer { arena.reset() }
        if amqp_exchange_delete(state, channel, arena.bytes(name), 0) == nil {
            throw lastRPCError(doing: "delete exchange").with("amqp.exchange", name)
        }
    }

    /// Turns on publisher confirms for the channel.
    func confirmSelect() throws(AMQPError) {
        if amqp_confirm_select(state, channel) == nil { throw lastRPCError(doing: "enable publisher confirms") }
    }

    func qos(prefetch: Int) throws(AMQPError) {
        if amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0) == nil {
            throw lastRPCError(doing: "set prefetch")
        }
    }

    /// Starts consuming with manual acks; returns the broker-chosen consumer tag.
    func consume(queue: String) throws(AMQPError) -> String {
        defer { arena.reset() }
        guard
            let ok = amqp_basic_consume(
                state, channel, arena.bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        else { throw lastRPCError(doing: "consume").with("amqp.queue", queue) }
        return ok.pointee.consumer_tag.string
    }

    // MARK: Asynchronous sends (answers arrive as frames)

    /// Sends `basic.cancel`; `cancel-ok` arrives later through ``nextFrame()``.
    func sendCancel(consumerTag: String) throws(AMQPError) {
        defer { arena.reset() }
        var method = amqp_basic_cancel_t(consumer_tag: arena.bytes(consumerTag), nowait: 0)
        try check(amqp_send_method(state, channel, AMQP_BASIC_CANCEL_METHOD, &method), doing: "cancel the consumer")
    }

    func publish(
        exchange: String, routingKey: String, body: [UInt8], properties: AMQPMessageProperties, mandatory: Bool
    ) throws(AMQPError) {
        defer { arena.reset() }
        var cProperties = PropertiesCodec.encode(properties, in: arena)
        let exchangeBytes = arena.bytes(exchange)
        let keyBytes = arena.bytes(routingKey)
        let status = body.withUnsafeBytes { raw in
            amqp_basic_publish(
                state, channel, exchangeBytes, keyBytes, mandatory ? 1 : 0, 0, &cProperties,
                amqp_bytes_t(len: raw.count, bytes: raw.count > 0 ? UnsafeMutableRawPointer(mutating: raw.baseAddress) : nil))
        }
        try check(status, doing: "publish")
    }

    /// Acks one delivery, or with `multiple` every delivery up to and including `deliveryTag` not yet settled.
    func ack(deliveryTag: UInt64, multiple: Bool = false) throws(AMQPError) {
        try check(amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0), doing: "ack")
    }

    func nack(deliveryTag: UInt64, requeue: Bool) throws(AMQPError) {
        try check(amqp_basic_nack(state, channel, deliveryTag, 0, requeue ? 1 : 0), doing: "nack")
    }

    // MARK: Reading

    /// The socket to poll for input; -1 once closed.
    var socketFD: Int32 { amqp_get_sockfd(state) }

    /// Whether frames can be read without waiting for the socket.
    var hasBufferedInput: Bool { amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0 }

    /// The next frame if one can be read without blocking; also sends and checks heartbeats.
    func nextFrame() throws(AMQPError) -> InboundFrame? {
        var frame = amqp_frame_t()
        var zero = Glibc.timeval(tv_sec: 0, tv_usec: 0)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &zero)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try check(status, doing: "read from the broker")
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD: return decodeMethod(frame.payload.method)
        case AMQP_FRAME_HEADER:
            guard let decoded = frame.payload.properties.decoded else { return .other(methodID: 0) }
            let properties = PropertiesCodec.decode(decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee)
            return .contentHeader(bodySize: frame.payload.properties.body_size, properties: properties)
        case AMQP_FRAME_BODY: return .contentBody(frame.payload.body_fragment.array)
        default: return .other(methodID: 0)
        }
    }

    /// Lets rabbitmq-c recycle decoded frames (everything read so far has been copied out).
    func releaseBuffers() { amqp_maybe_release_buffers(state) }

    /// Hands every frame that can be read without blocking to `handle`, which copies out what it keeps, so
    /// rabbitmq-c may recycle its frame memory every 64 frames and at the end. Stops at once when `handle`
    /// returns false (its caller dropped the connection).
    func readAvailableFrames(_ handle: (InboundFrame) throws(AMQPError) -> Bool) throws(AMQPError) {
        var frames = 0
        while let frame = try nextFrame() {
            guard try handle(frame) else { return }
            frames += 1
            if frames % 64 == 0 { releaseBuffers() }
        }
        releaseBuffers()
    }

    // MARK: Closing

    /// `connection.close` with a short wait for close-ok, then the socket is closed.
    func close() {
        guard isOpen else { return }
        isOpen = false
        isChannelOpen = false
        var short = Glibc.timeval(tv_sec: 2, tv_usec: 0)
        _ = amqp_set_rpc_timeout(state, &short)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
    }

    // MARK: Errors

    private func check(_ status: Int32, doing what: String) throws(AMQPError) {
        guard status < 0 else { return }
        isOpen = false
        isChannelOpen = false
        throw failure(.connectionClosed, "connection lost while trying to \(what): \(Self.statusText(status))")
    }

    private func lastRPCError(doing what: String) -> AMQPError {
        replyError(amqp_get_rpc_reply(state), doing: what)
    }

    private func replyError(_ reply: amqp_rpc_reply_t, doing what: String) -> AMQPError {
        switch reply.reply_type.rawValue {
        case AMQP_RESPONSE_SERVER_EXCEPTION.rawValue:
            return brokerClosed(reply.reply, doing: what)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION.rawValue:
            isOpen = false
            isChannelOpen = false
            return failure(.connectionClosed, "could not \(what): \(Self.statusText(reply.library_error))")
        default:
            return failure(.protocolError, "could not \(what): no reply from the broker")
        }
    }

    /// Answers a broker-sent `channel.close` / `connection.close` and describes it.
    func brokerClosed(_ method: amqp_method_t, doing what: String?) -> AMQPError {
        let isChannel = method.id == AMQP_CHANNEL_CLOSE_METHOD
        guard isChannel || method.id == AMQP_CONNECTION_CLOSE_METHOD, let decoded = method.decoded else {
            return failure(
                .protocolError, "could not \(what ?? "work"): unexpected method 0x\(String(method.id, radix: 16))")
        }
        // channel.close and connection.close have the same layout.
        let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
        let text = close.reply_text.string
        isChannelOpen = false
        if isChannel {
            var ok = amqp_channel_close_ok_t(dummy: 0)
            if amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) < 0 { isOpen = false }
        } else {
            var ok = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
            isOpen = false
        }
        let code: AMQPError.Code =
            switch close.reply_code {
            case 403, 530: .accessRefused
            case 404: .notFound
            case 406: .preconditionFailed
            default: isChannel ? .channelClosed : .connectionClosed
            }
        let scope = isChannel ? "channel" : "connection"
        let during = what.map { " while trying to \($0)" } ?? ""
        var error = failure(code, "the broker closed the \(scope)\(during): \(text)")
        error.replyCode = close.reply_code
        return error
    }

    private func failure(_ code: AMQPError.Code, _ message: String) -> AMQPError {
        AMQPError(code: code, message: message, context: ["amqp.endpoint": endpoint.description])
    }
}
