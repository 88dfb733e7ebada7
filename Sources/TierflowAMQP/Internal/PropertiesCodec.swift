import CRabbitMQ
import Foundation

/// Converts between ``AMQPMessageProperties`` and rabbitmq-c's `amqp_basic_properties_t`.
enum PropertiesCodec {
    /// C properties whose memory lives in `arena` (valid until the arena is reset).
    static func encode(_ properties: AMQPMessageProperties, in arena: CArena) -> amqp_basic_properties_t {
        var c = amqp_basic_properties_t()
        var flags: UInt32 = UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
        c.delivery_mode = properties.deliveryMode.rawValue
        func set(_ text: String?, _ flag: Int32, _ field: WritableKeyPath<amqp_basic_properties_t, amqp_bytes_t>) {
            guard let text else { return }
            c[keyPath: field] = arena.bytes(text)
            flags |= UInt32(flag)
        }
        set(properties.contentType, AMQP_BASIC_CONTENT_TYPE_FLAG, \.content_type)
        set(properties.contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG, \.content_encoding)
        set(properties.messageID, AMQP_BASIC_MESSAGE_ID_FLAG, \.message_id)
        set(properties.correlationID, AMQP_BASIC_CORRELATION_ID_FLAG, \.correlation_id)
        set(properties.replyTo, AMQP_BASIC_REPLY_TO_FLAG, \.reply_to)
        set(properties.type, AMQP_BASIC_TYPE_FLAG, \.type)
        set(properties.userID, AMQP_BASIC_USER_ID_FLAG, \.user_id)
        set(properties.appID, AMQP_BASIC_APP_ID_FLAG, \.app_id)
        if let expiration = properties.expiration {
            let ms = max(0, expiration.components.seconds * 1000 + expiration.components.attoseconds / 1_000_000_000_000_000)
            set(String(ms), AMQP_BASIC_EXPIRATION_FLAG, \.expiration)
        }
        if let timestamp = properties.timestamp {
            c.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970.rounded(.down)))
            flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
        }
        if let priority = properties.priority {
            c.priority = priority
            flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG)
        }
        if !properties.headers.isEmpty {
            c.headers = FieldTableCodec.encode(properties.headers, in: arena)
            flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
        }
        c._flags = flags
        return c
    }

    /// A Swift copy of decoded C properties (call before the connection's buffers are released).
    static func decode(_ c: amqp_basic_properties_t) -> AMQPMessageProperties {
        let flags = c._flags
        func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
        func text(_ flag: Int32, _ bytes: amqp_bytes_t) -> String? { has(flag) ? bytes.string : nil }
        var properties = AMQPMessageProperties(
            contentType: text(AMQP_BASIC_CONTENT_TYPE_FLAG, c.content_type),
            contentEncoding: text(AMQP_BASIC_CONTENT_ENCODING_FLAG, c.content_encoding),
            deliveryMode: has(AMQP_BASIC_DELIVERY_MODE_FLAG) && c.delivery_mode == 2 ? .persistent : .transient,
            messageID: text(AMQP_BASIC_MESSAGE_ID_FLAG, c.message_id),
            correlationID: text(AMQP_BASIC_CORRELATION_ID_FLAG, c.correlation_id),
            replyTo: text(AMQP_BASIC_REPLY_TO_FLAG, c.reply_to),
            timestamp: has(AMQP_BASIC_TIMESTAMP_FLAG) ? Date(timeIntervalSince1970: TimeInterval(c.timestamp)) : nil,
            priority: has(AMQP_BASIC_PRIORITY_FLAG) ? c.priority : nil,
            type: text(AMQP_BASIC_TYPE_FLAG, c.type),
            userID: text(AMQP_BASIC_USER_ID_FLAG, c.user_id),
            appID: text(AMQP_BASIC_APP_ID_FLAG, c.app_id),
            headers: has(AMQP_BASIC_HEADERS_FLAG) ? FieldTableCodec.decode(c.headers) : [:]
        )
        if let expiration = text(AMQP_BASIC_EXPIRATION_FLAG, c.expiration), let ms = Int64(expiration) {
            properties.expiration = .milliseconds(ms)
        }
        return properties
    }
}
