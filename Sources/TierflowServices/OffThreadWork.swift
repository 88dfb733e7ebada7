import Foundation

/// Runs CPU work (decoding a router model, indexing knowledge-base entries) on a thread of its own, so it
/// never occupies Swift's cooperative pool, which serves live traffic.
enum OffThreadWork {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try work())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }
}
