import Synchronization

/// A boolean that one task sets and health checks read.
final class ReadinessFlag: Sendable {
    private let storage = Atomic<Bool>(false)

    var value: Bool { storage.load(ordering: .acquiring) }

    func set(_ value: Bool) { storage.store(value, ordering: .releasing) }
}
