/// A frame from the broker, decoded and copied out of rabbitmq-c's buffers.
enum InboundFrame {
    case deliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    case returned(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
    case ack(tag: UInt64, multiple: Bool)
    case nack(tag: UInt64, multiple: Bool)
    case contentHeader(bodySize: UInt64, properties: AMQPMessageProperties)
    case contentBody([UInt8])
    /// The broker cancelled the consumer (queue deleted, node failure).
    case cancelledByBroker(consumerTag: String)
    case cancelOK(consumerTag: String)
    /// The broker closed the channel; close-ok has been sent and the channel must be reopened.
    case channelClosed(AMQPError)
    /// The broker closed the connection; close-ok has been sent and the connection is gone.
    case connectionClosed(AMQPError)
    /// `connection.blocked`: the broker stopped reading from publishers (memory or disk alarm).
    case blocked(reason: String)
    case unblocked
    case other(methodID: UInt32)
}
