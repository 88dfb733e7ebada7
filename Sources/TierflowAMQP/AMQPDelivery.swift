/// A message delivered to an ``AMQPConsumer``; settle it with `ack` or `nack` on the same consumer.
public struct AMQPDelivery: Sendable {
    /// The message body (copied out of the client library's buffers).
    public let body: [UInt8]
    public let exchange: String
    public let routingKey: String
    /// The broker delivered this message before (to this or another consumer) without an ack.
    public let redelivered: Bool
    /// The broker's tag, unique only within one connection generation.
    public let deliveryTag: UInt64
    public let properties: AMQPMessageProperties
    /// Which connection of the consumer this came on (1 for the first, +1 per reconnect). Deliveries of an
    /// earlier generation cannot be settled any more: the broker has requeued them.
    public let generation: UInt64
    public let consumerTag: String
    /// The consumer instance that received it.
    let consumerID: UInt64

    init(
        body: [UInt8], exchange: String, routingKey: String, redelivered: Bool, deliveryTag: UInt64,
        properties: AMQPMessageProperties, generation: UInt64, consumerTag: String, consumerID: UInt64
    ) {
        self.body = body
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.properties = properties
        self.generation = generation
        self.consumerTag = consumerTag
        self.consumerID = consumerID
    }

    /// How often a quorum queue delivered this message before (`x-delivery-count`), if known.
    public var deliveryCount: Int64? { properties.deliveryCount }
}
