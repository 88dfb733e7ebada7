import Synchronization
import Testing

@testable import TierflowServices

@Suite("LaneGate: when batch work may start")
struct LaneGateTests {
    /// Starts `acquireBatchTurn` in a task and reports whether it returned.
    private final class PendingTurn: Sendable {
        private final class Flag: Sendable {
            let value = Mutex(false)
        }
        private let done: Flag
        let task: Task<Void, Never>
        var hasStarted: Bool { done.value.withLock { $0 } }

        init(_ gate: LaneGate, limit: Int) {
            let done = Flag()
            self.done = done
            task = Task {
                await gate.acquireBatchTurn(limit: limit)
                done.value.withLock { $0 = true }
            }
        }
    }

    @Test("no batch message starts while a live one is in flight")
    func waitsForTheLiveLane() async {
        let gate = LaneGate(quietPeriod: .zero)
        gate.liveStarted()
        let turn = PendingTurn(gate, limit: 8)
        try? await Task.sleep(for: .milliseconds(50))
        #expect(!turn.hasStarted)
        gate.liveFinished()
        await turn.task.value
        #expect(gate.batchInFlight == 1)
    }

    @Test("after live traffic, one at a time; when it has been quiet, up to the limit")
    func oneAtATimeWhileLiveIsRecent() async {
        let gate = LaneGate(quietPeriod: .seconds(60))
        gate.liveStarted()
        gate.liveFinished()
        await gate.acquireBatchTurn(limit: 8)
        let second = PendingTurn(gate, limit: 8)
        try? await Task.sleep(for: .milliseconds(50))
        #expect(!second.hasStarted, "a second batch message started while live traffic was recent")
        gate.batchFinished()
        await second.task.value

        let quiet = LaneGate(quietPeriod: .zero)
        quiet.liveStarted()
        quiet.liveFinished()
        for _ in 0..<3 { await quiet.acquireBatchTurn(limit: 3) }
        #expect(quiet.batchInFlight == 3)
        let fourth = PendingTurn(quiet, limit: 3)
        try? await Task.sleep(for: .milliseconds(50))
        #expect(!fourth.hasStarted, "more than the limit started")
        quiet.batchFinished()
        await fourth.task.value
        #expect(quiet.batchInFlight == 3)
    }

    @Test("while live traffic is recent, batch starts are paced to the configured rate")
    func pacedWhileLiveIsRecent() async {
        let gate = LaneGate(quietPeriod: .seconds(60), ratePerSecondWhileLive: 20)
        gate.liveStarted()
        gate.liveFinished()
        let start = ContinuousClock.now
        for _ in 0..<4 {
            await gate.acquireBatchTurn(limit: 8)
            gate.batchFinished()
        }
        // Four starts at 20 per second: the last one no earlier than 150 ms after the first.
        #expect(ContinuousClock.now - start >= .milliseconds(150))

        let unpaced = LaneGate(quietPeriod: .zero, ratePerSecondWhileLive: 1)
        let quick = ContinuousClock.now
        for _ in 0..<4 {
            await unpaced.acquireBatchTurn(limit: 8)
            unpaced.batchFinished()
        }
        #expect(ContinuousClock.now - quick < .seconds(1), "paced although no live traffic was seen")
    }
}
