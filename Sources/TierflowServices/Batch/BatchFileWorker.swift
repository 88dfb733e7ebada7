import Dispatch
import TierflowPipeline

/// Does a batch's blocking file I/O — counting lines, opening the file, reading chunks — on a serial dispatch
/// queue of its own, so it never occupies a thread of Swift's cooperative pool, which serves live traffic.
///
/// `@unchecked Sendable`: the ``BatchSource`` it holds is touched only on `queue`.
final class BatchFileWorker: @unchecked Sendable {
    private let queue = DispatchQueue(label: "tierflow-batch-file")
    private var source: BatchSource?

    /// Data lines of the file at `path` (physical lines; the caller drops a CSV header).
    func countLines(path: String) async throws -> Int {
        try await run { try BatchFileReader.countLines(path: path) }
    }

    /// Opens the file at `offset` (byte) and `line` (the next line's number).
    func open(path: String, format: BatchSource.Format, mapping: BatchMapping, offset: Int64, line: Int) async throws {
        try await run { self.source = try BatchSource(path: path, format: format, mapping: mapping, offset: offset, line: line) }
    }

    /// Up to `lines` items from the open file; fewer (or none) at its end. Malformed lines are items too.
    func read(lines: Int, onMalformed: @escaping @Sendable (BatchInputError) -> Void) async throws -> [BatchItem] {
        try await run {
            guard let source = self.source else { return [] }
            var items: [BatchItem] = []
            while items.count < lines, let item = try source.next() {
                if case .failure(let error) = item.record { onMalformed(error) }
                items.append(item)
            }
            return items
        }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
