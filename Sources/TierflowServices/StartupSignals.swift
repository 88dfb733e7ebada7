import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM or SIGINT that arrives while a worker is still starting (connecting to the broker and the
/// database, before its service group listens for signals).
///
/// Without it such a signal ends the process at once with status 143 — what Kubernetes does to a pod that
/// KEDA scales down right after scaling it up. ``WorkerContext`` installs it on connect and, once the group
/// runs, drains at once if a signal came meanwhile: the worker exits 0 as it does on any other SIGTERM.
enum StartupSignals {
    /// Records SIGTERM and SIGINT from now until the service group takes the signals over.
    static func install() {
        _ = received.load(ordering: .relaxed)  // initialise the global outside the signal handler
        signal(SIGTERM, record)
        signal(SIGINT, record)
    }

    /// Whether a signal came since ``install()``.
    static var requested: Bool { received.load(ordering: .acquiring) }
}

private let received = Atomic<Bool>(false)

/// Async-signal-safe: one atomic store.
private let record: @convention(c) (Int32) -> Void = { _ in received.store(true, ordering: .releasing) }
