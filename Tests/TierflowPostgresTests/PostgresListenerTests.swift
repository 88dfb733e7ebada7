import Foundation
import Testing

@testable import TierflowPostgres

@Suite("PostgresListener (live)", .enabled(if: LiveDatabase.isEnabled))
struct PostgresListenerTests {
    /// The next element of `iterator`; if none comes within `timeout`, closes `listener` (ending the stream,
    /// so the test fails instead of hanging) and returns nil.
    private func next(
        _ iterator: inout AsyncStream<PostgresNotification>.Iterator, of listener: PostgresListener,
        timeout: Duration = .seconds(5)
    ) async -> PostgresNotification? {
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            await listener.close()
        }
        defer { watchdog.cancel() }
        return await iterator.next()
    }

    @Test("a notification sent from another connection arrives on the stream")
    func notificationArrives() async throws {
        let channel = "Tierflow.test \(LiveDatabase.uniqueSuffix())"  // needs quoting: dot, space, capitals
        let listener = PostgresListener(
            configuration: LiveDatabase.configuration(url: LiveDatabase.workerURL, application: "tierflow-test-listen"),
            logger: LiveDatabase.logger)
        let stream = listener.notifications(channel: channel)
        let other = listener.notifications(channel: channel + "-other")
        await listener.waitUntilListening(channel: channel)
        let sender = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        try await sender.notify(channel: channel + "-other", payload: "not for you")
        try await sender.notify(channel: channel, payload: "kb:entry-42 ✓")

        var iterator = stream.makeAsyncIterator()
        let received = try #require(await next(&iterator, of: listener))
        #expect(received.kind == .message)
        #expect(received.channel == channel)
        #expect(received.payload == "kb:entry-42 ✓")
        #expect(received.senderProcessID != 0)
        var otherIterator = other.makeAsyncIterator()
        #expect(await next(&otherIterator, of: listener)?.payload == "not for you")
        await sender.close()
        await listener.close()
        #expect(await iterator.next() == nil, "the stream ends when the listener closes")
    }

    @Test("after its backend is terminated the listener reconnects, re-LISTENs and says so")
    func relistenAfterReconnect() async throws {
        let application = "tierflow-test-relisten-\(LiveDatabase.uniqueSuffix())"
        let channel = "tierflow_test_\(LiveDatabase.uniqueSuffix())"
        let listener = PostgresListener(
            configuration: LiveDatabase.configuration(url: LiveDatabase.workerURL, application: application),
            logger: LiveDatabase.logger)
        let stream = listener.notifications(channel: channel)
        await listener.waitUntilListening(channel: channel)
        #expect(try LiveDatabase.terminateBackends(application: application) == 1)

        var iterator = stream.makeAsyncIterator()
        let marker = try #require(await next(&iterator, of: listener))
        #expect(marker.kind == .resubscribed)
        await listener.waitUntilListening(channel: channel)
        let sender = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        try await sender.notify(channel: channel, payload: "after reconnect")
        let received = try #require(await next(&iterator, of: listener))
        #expect(received.kind == .message)
        #expect(received.payload == "after reconnect")
        await sender.close()
        await listener.close()
    }
}
