import CRabbitMQ
import Glibc

extension AMQPConnection {
    /// Copies a method frame's fields out of rabbitmq-c's decoded structure.
    func decodeMethod(_ method: amqp_method_t) -> InboundFrame {
        let decoded = method.decoded
        func field<T>(_ type: T.Type) -> T { decoded!.assumingMemoryBound(to: T.self).pointee }
        switch method.id {
        case AMQP_BASIC_ACK_METHOD:
            let m = field(amqp_basic_ack_t.self)
            return .ack(tag: m.delivery_tag, multiple: m.multiple != 0)
        case AMQP_BASIC_NACK_METHOD:
            let m = field(amqp_basic_nack_t.self)
            return .nack(tag: m.delivery_tag, multiple: m.multiple != 0)
        case AMQP_BASIC_DELIVER_METHOD:
            let m = field(amqp_basic_deliver_t.self)
            return .deliver(
                consumerTag: m.consumer_tag.string, deliveryTag: m.delivery_tag, redelivered: m.redelivered != 0,
                exchange: m.exchange.string, routingKey: m.routing_key.string)
        case AMQP_BASIC_RETURN_METHOD:
            let m = field(amqp_basic_return_t.self)
            return .returned(
                replyCode: m.reply_code, replyText: m.reply_text.string, exchange: m.exchange.string,
                routingKey: m.routing_key.string)
        case AMQP_BASIC_CANCEL_METHOD:
            return .cancelledByBroker(consumerTag: field(amqp_basic_cancel_t.self).consumer_tag.string)
        case AMQP_BASIC_CANCEL_OK_METHOD:
            return .cancelOK(consumerTag: field(amqp_basic_cancel_ok_t.self).consumer_tag.string)
        case AMQP_CONNECTION_BLOCKED_METHOD:
            return .blocked(reason: field(amqp_connection_blocked_t.self).reason.string)
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            return .unblocked
        case AMQP_CHANNEL_CLOSE_METHOD, AMQP_CONNECTION_CLOSE_METHOD:
            let error = brokerClosed(method, doing: nil)
            return method.id == AMQP_CHANNEL_CLOSE_METHOD ? .channelClosed(error) : .connectionClosed(error)
        default:
            return .other(methodID: method.id)
        }
    }

    static func statusText(_ status: Int32) -> String { String(cString: amqp_error_string2(status)) }

    static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

extension AMQPEndpoint {
    /// The longest a connection thread sleeps in `poll(2)`: half the heartbeat, so rabbitmq-c (which only
    /// sends and checks heartbeats inside library calls) is re-entered often enough.
    var idleWakeInterval: Duration {
        heartbeatSeconds > 0 ? .milliseconds(heartbeatSeconds * 500) : .seconds(5)
    }
}
