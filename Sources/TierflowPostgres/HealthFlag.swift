import Synchronization

/// A Boolean shared between threads.
final class HealthFlag: Sendable {
    private let storage = Atomic<Bool>(false)

    var value: Bool { storage.load(ordering: .acquiring) }

    func set(_ value: Bool) { storage.store(value, ordering: .releasing) }
}
