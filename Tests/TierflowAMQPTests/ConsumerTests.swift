import Foundation
import Testing

@testable import TierflowAMQP

@Suite("AMQPConsumer (live broker)", .enabled(if: LiveBroker.enabled))
struct ConsumerTests {
    @Test func doubleAckIsRefusedWithoutClosingTheChannel() async throws {
        let queue = LiveBroker.uniqueName("double")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, durable: false)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("con"), queue: queue, prefetch: 5, topology: topology, logger: LiveBroker.logger)
            let other = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("other"), queue: queue, prefetch: 5, topology: topology, logger: LiveBroker.logger)
            await other.close()
            var iterator = consumer.deliveries.makeAsyncIterator()

            _ = try await publisher.publish(routingKey: queue, body: [1])
            let first = try #require(try await iterator.next())
            try await consumer.ack(first)
            let again = try await #require(throws: AMQPError.self) { try await consumer.ack(first) }
            #expect(again.code == .alreadySettled)
            let nackAfterAck = try await #require(throws: AMQPError.self) { try await consumer.nack(first, requeue: true) }
            #expect(nackAfterAck.code == .alreadySettled)
            let foreign = try await #require(throws: AMQPError.self) { try await other.ack(first) }
            #expect(foreign.code == .foreignDelivery)

            // The channel is still healthy: the next message arrives on the same generation and acks fine.
            _ = try await publisher.publish(routingKey: queue, body: [2])
            let second = try #require(try await iterator.next())
            #expect(second.body == [2])
            try await consumer.ack(second)
            #expect(second.generation == 1)
            #expect(consumer.generation == 1)

            await consumer.close()
            let closed = try await #require(throws: AMQPError.self) { try await consumer.ack(second) }
            #expect(closed.code == .closed)
            await publisher.close()
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("cleanup"), logger: LiveBroker.logger)
            #expect(try await inspector.status(ofQueue: queue).messageCount == 0)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }

    @Test func queuedAcksLandAndASecondOneIsRefusedQuietly() async throws {
        let queue = LiveBroker.uniqueName("enqueued")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, durable: false)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)
            for i in 0..<50 { _ = try await publisher.publish(routingKey: queue, body: [UInt8(i)]) }
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("con"), queue: queue, prefetch: 50, topology: topology, logger: LiveBroker.logger)
            let other = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("other"), queue: queue, prefetch: 1, topology: topology, logger: LiveBroker.logger)
            await other.stopConsuming()
            var held: [AMQPDelivery] = []
            for try await delivery in consumer.deliveries {
                held.append(delivery)
                if held.count == 50 { break }
            }
            #expect(throws: AMQPError.self) { try other.enqueueAck(held[0]) }
            // The first 40 queued without waiting, one of them twice (the connection thread refuses the second
            // without closing the channel); then close at once: queued acks go out before the connection closes,
            // so the 40 are gone and only the 10 never acked go back to the queue.
            for delivery in held.prefix(40) { try consumer.enqueueAck(delivery) }
            try consumer.enqueueAck(held[0])
            await consumer.close()
            await other.close()
            await publisher.close()

            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            let status = try await LiveBroker.polled(until: { $0.messageCount == 10 }) {
                try await inspector.status(ofQueue: queue)
            }
            #expect(status.messageCount == 10)
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }

    /// Acks below the oldest delivery still held go out as one ack with `multiple`; it must never settle a
    /// delivery the caller still holds, whatever order the acks come in.
    ///
    /// The count is read while the consumer is still open: acks are one-way, and a quorum queue's channel that
    /// has more than 32 settles waiting on Raft holds the rest back and drops them if the connection closes
    /// first (those deliveries come again; seen once in CI with a busy broker).
    @Test func coalescedAcksNeverSettleAHeldDelivery() async throws {
        let queue = LiveBroker.uniqueName("coalesced")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, quorum: true)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)
            for i in 0..<60 { _ = try await publisher.publish(routingKey: queue, body: [UInt8(i)]) }
            await publisher.close()
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("con"), queue: queue, prefetch: 60, topology: topology, logger: LiveBroker.logger)
            var held: [AMQPDelivery] = []
            for try await delivery in consumer.deliveries {
                held.append(delivery)
                if held.count == 60 { break }
            }
            // Out of order, with three deliveries kept back (the oldest, one in the middle, the newest); then
            // the oldest is acked, which lets everything up to the middle one go as one ack.
            let kept: Set<Int> = [0, 23, 59]
            for index in (1..<60).reversed() where !kept.contains(index) { try consumer.enqueueAck(held[index]) }
            for index in (1..<60).shuffled() where index % 3 == 1 && !kept.contains(index) {
                await #expect(throws: AMQPError.self) { try await consumer.ack(held[index]) }
            }
            try await consumer.ack(held[0])

            // The broker refreshes this count every few seconds, so it is polled.
            let unacknowledged = try await LiveBroker.polled(
                timeout: .seconds(60), every: .milliseconds(500), until: { $0 == 2 }
            ) {
                try await LiveBroker.unacknowledgedCount(ofQueue: queue)
            }
            #expect(unacknowledged == 2)
            await consumer.close()
            guard unacknowledged == 2 else { return }

            // Exactly the two held deliveries go back to the queue, and nothing else.
            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            let ready = try await LiveBroker.polled(timeout: .seconds(10), until: { $0 >= 2 }) {
                try await inspector.status(ofQueue: queue).messageCount
            }
            #expect(ready == 2)
            await inspector.close()
            guard ready == 2 else { return }
            let again = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("again"), queue: queue, prefetch: 2, topology: topology, logger: LiveBroker.logger)
            var returned: [UInt8] = []
            for try await delivery in again.deliveries {
                returned.append(contentsOf: delivery.body)
                if returned.count == 2 { break }
            }
            await again.close()
            #expect(returned.sorted() == [23, 59])
        }
    }

    @Test func stopConsumingFinishesTheStreamAndInFlightDeliveriesCanStillBeAcked() async throws {
        let queue = LiveBroker.uniqueName("drain")
        try await LiveBroker.withCleanup(queues: [queue]) {
            let topology = AMQPTopology(queues: [.init(name: queue, quorum: true)])
            let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("pub"), topology: topology, logger: LiveBroker.logger)
            for i in 0..<20 { _ = try await publisher.publish(routingKey: queue, body: [UInt8(i)]) }
            let consumer = try await AMQPConsumer(
                endpoint: try LiveBroker.worker("con"), queue: queue, prefetch: 5, topology: topology, logger: LiveBroker.logger)

            var held: [AMQPDelivery] = []
            for try await delivery in consumer.deliveries {
                held.append(delivery)
                if held.count == 5 { break }
            }
            await consumer.stopConsuming()
            var after: [AMQPDelivery] = []
            for try await delivery in consumer.deliveries { after.append(delivery) }  // finishes after cancel-ok
            #expect(after.isEmpty)  // prefetch 5 and nothing acked: no more were sent
            for delivery in held { try await consumer.ack(delivery) }

            let inspector = try await AMQPQueueInspector(endpoint: try LiveBroker.worker("inspect"), logger: LiveBroker.logger)
            // Quorum queues report counts from the Raft state, which may lag the cancel by a moment.
            let status = try await LiveBroker.polled(until: { $0 == .init(messageCount: 15, consumerCount: 0) }) {
                try await inspector.status(ofQueue: queue)
            }
            #expect(status == .init(messageCount: 15, consumerCount: 0))
            await consumer.close()
            await publisher.close()
            try await inspector.deleteQueue(queue)
            await inspector.close()
        }
    }

    @Test func replyQueueReceivesRepliesByReplyToAndCorrelationID() async throws {
        let replies = try await AMQPConsumer.replyQueue(endpoint: try LiveBroker.worker("reply"), logger: LiveBroker.logger)
        let replyQueue = replies.queueName
        #expect(replyQueue.hasPrefix("amq.gen-"))
        let publisher = try await AMQPPublisher(endpoint: try LiveBroker.worker("pub"), logger: LiveBroker.logger)

        let outcome = try await publisher.publish(
            routingKey: replyQueue, body: Array("answer".utf8),
            properties: .init(deliveryMode: .transient, correlationID: "req-42"), mandatory: true)
        #expect(outcome == .confirmed)
        var iterator = replies.deliveries.makeAsyncIterator()
        let reply = try #require(try await iterator.next())
        #expect(reply.properties.correlationID == "req-42")
        #expect(reply.properties.deliveryMode == .transient)
        #expect(reply.body == Array("answer".utf8))
        try await replies.ack(reply)

        await replies.close()
        // The exclusive queue went away with its connection: a mandatory publish to it is now returned.
        let late = try await publisher.publish(routingKey: replyQueue, body: [0], mandatory: true)
        #expect(late == .returned(replyCode: 312, replyText: "NO_ROUTE"))
        await publisher.close()
    }
}
