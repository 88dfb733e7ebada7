/// The exchanges, queues and bindings a component needs; declared (idempotently) on every connect.
public struct AMQPTopology: Sendable, Hashable {
    /// An exchange to declare.
    public struct Exchange: Sendable, Hashable {
        /// The routing algorithm (`direct`, `topic`, `fanout`, `headers`).
        public struct Kind: Sendable, Hashable, CustomStringConvertible {
            public let rawValue: String
            public init(_ rawValue: String) { self.rawValue = rawValue }
            public static let direct = Kind("direct")
            public static let topic = Kind("topic")
            public static let fanout = Kind("fanout")
            public static let headers = Kind("headers")
            public var description: String { rawValue }
        }

        public var name: String
        public var kind: Kind
        public var durable: Bool
        public var autoDelete: Bool
        public var `internal`: Bool
        public var arguments: [String: AMQPHeaderValue]

        public init(
            name: String, kind: Kind, durable: Bool = true, autoDelete: Bool = false, internal: Bool = false,
            arguments: [String: AMQPHeaderValue] = [:]
        ) {
            self.name = name
            self.kind = kind
            self.durable = durable
            self.autoDelete = autoDelete
            self.internal = `internal`
            self.arguments = arguments
        }
    }

    /// A queue to declare.
    public struct Queue: Sendable, Hashable {
        public var name: String
        public var durable: Bool
        /// A replicated quorum queue (`x-queue-type: quorum`): needed for delivery limits.
        public var quorum: Bool
        /// Deliveries before a quorum queue dead-letters a message (`x-delivery-limit`).
        public var deliveryLimit: Int?
        /// Where rejected or expired messages go (`x-dead-letter-exchange`).
        public var deadLetterExchange: String?
        /// Routing key for dead-lettered messages (`x-dead-letter-routing-key`).
        public var deadLetterRoutingKey: String?
        /// Owned by the declaring connection and deleted with it (reply queues).
        public var exclusive: Bool
        public var autoDelete: Bool
        /// More `x-` arguments; these win over the fields above.
        public var arguments: [String: AMQPHeaderValue]

        public init(
            name: String, durable: Bool = true, quorum: Bool = false, deliveryLimit: Int? = nil,
            deadLetterExchange: String? = nil, deadLetterRoutingKey: String? = nil, exclusive: Bool = false,
            autoDelete: Bool = false, arguments: [String: AMQPHeaderValue] = [:]
        ) {
            self.name = name
            self.durable = durable
            self.quorum = quorum
            self.deliveryLimit = deliveryLimit
            self.deadLetterExchange = deadLetterExchange
            self.deadLetterRoutingKey = deadLetterRoutingKey
            self.exclusive = exclusive
            self.autoDelete = autoDelete
            self.arguments = arguments
        }

        /// The `queue.declare` arguments these settings amount to.
        public var declareArguments: [String: AMQPHeaderValue] {
            var result: [String: AMQPHeaderValue] = [:]
            if quorum { result["x-queue-type"] = "quorum" }
            if let deliveryLimit { result["x-delivery-limit"] = .int(Int64(deliveryLimit)) }
            if let deadLetterExchange { result["x-dead-letter-exchange"] = .string(deadLetterExchange) }
            if let deadLetterRoutingKey { result["x-dead-letter-routing-key"] = .string(deadLetterRoutingKey) }
            result.merge(arguments) { _, explicit in explicit }
            return result
        }
    }

    /// A binding of a queue to an exchange.
    public struct Binding: Sendable, Hashable {
        public var queue: String
        public var exchange: String
        public var routingKey: String
        public var arguments: [String: AMQPHeaderValue]

        public init(queue: String, exchange: String, routingKey: String, arguments: [String: AMQPHeaderValue] = [:]) {
            self.queue = queue
            self.exchange = exchange
            self.routingKey = routingKey
            self.arguments = arguments
        }
    }

    public var exchanges: [Exchange]
    public var queues: [Queue]
    public var bindings: [Binding]

    public init(exchanges: [Exchange] = [], queues: [Queue] = [], bindings: [Binding] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }

    /// Nothing to declare.
    public static let empty = AMQPTopology()

    /// Both topologies together (`other` after `self`).
    public func merging(_ other: AMQPTopology) -> AMQPTopology {
        AMQPTopology(
            exchanges: exchanges + other.exchanges, queues: queues + other.queues,
            bindings: bindings + other.bindings)
    }

    /// Whether there is nothing to declare.
    public var isEmpty: Bool { exchanges.isEmpty && queues.isEmpty && bindings.isEmpty }
}
