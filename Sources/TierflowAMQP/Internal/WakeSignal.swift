import Glibc
import Synchronization

/// Wakes a connection thread that sleeps in `poll(2)`: a non-blocking pipe whose read end is polled
/// together with the broker socket. Signals are coalesced, so a burst of commands costs one `write`.
final class WakeSignal: Sendable {
    private let readFD: Int32
    private let writeFD: Int32
    private let pending = Atomic<Bool>(false)

    init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes the thread (no-op if a wake-up is already pending). Any thread may call it.
    func signal() {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Consumes pending wake-ups; call before taking commands so no signal is lost.
    func drain() {
        pending.store(false, ordering: .sequentiallyConsistent)
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }

    /// What woke `wait`.
    struct Readiness {
        var socket = false
        var woken = false
    }

    /// Sleeps until the socket is readable, `signal()` was called, or the timeout passes.
    func wait(socket: Int32?, timeout: Duration) -> Readiness {
        var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
        if let socket, socket >= 0 { fds.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        let (seconds, attoseconds) = timeout.components
        // Round up: a sub-millisecond timeout must not turn into a busy loop.
        let ms = Int32(clamping: max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
        var result: Int32
        repeat { result = poll(&fds, nfds_t(fds.count), ms) } while result < 0 && errno == EINTR
        var readiness = Readiness()
        guard result > 0 else { return readiness }
        readiness.woken = fds[0].revents != 0
        readiness.socket = fds.count > 1 && fds[1].revents != 0
        return readiness
    }
}
