import Glibc

/// Wakes a dedicated thread that waits in `poll(2)`: a non-blocking self-pipe.
/// `signal()` may be called from any thread; `wait` is called only by the owning thread.
final class WakeSignal: Sendable {
    private let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() {
        var descriptors: [Int32] = [-1, -1]
        precondition(pipe(&descriptors) == 0, "pipe() failed: errno \(errno)")
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    deinit {
        Glibc.close(readDescriptor)
        Glibc.close(writeDescriptor)
    }

    /// Makes the next (or current) `wait` return. A full pipe already means "signalled".
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Blocks until signalled, until `socket` is readable, or until `timeout` passes (nil: no timeout).
    /// Returns whether the socket is readable (or in error: the caller's next read will tell).
    @discardableResult
    func wait(socket: Int32? = nil, timeout: Duration? = nil) -> Bool {
        var descriptors = [pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)]
        if let socket, socket >= 0 { descriptors.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        let milliseconds: Int32
        if let timeout {
            let parts = timeout.components
            let total = parts.seconds * 1000 + (parts.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            milliseconds = Int32(clamping: max(0, total))
        } else {
            milliseconds = -1
        }
        var result: Int32
        repeat {
            result = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        } while result < 0 && errno == EINTR
        if descriptors[0].revents != 0 { drain() }
        return descriptors.count > 1 && descriptors[1].revents != 0
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}
