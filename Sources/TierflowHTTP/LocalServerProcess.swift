import Foundation
import Synchronization

/// A helper HTTP server on 127.0.0.1 run as `python3 -u SCRIPT`, which prints the port it listens on as its
/// first line: the fault suite's scripted LLM API and the tests' fixture servers. It ends when its standard
/// input closes — on ``stop(waitingForExit:)`` or when this process ends.
public final class LocalServerProcess: Sendable {
    /// Why the server did not start.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The port the server listens on.
    public let port: Int
    private let process: Mutex<Process?>
    private let stdin: Pipe

    private init(port: Int, process: sending Process, stdin: Pipe) {
        self.port = port
        self.process = Mutex(process)
        self.stdin = stdin
    }

    /// Starts `python3 -u script` and waits until it has printed its port. Its standard error goes to this
    /// process's unless `discardingStandardError`.
    public static func start(script: String, discardingStandardError: Bool = false) async throws -> LocalServerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        if discardingStandardError { process.standardError = FileHandle.nullDevice }
        try process.run()
        let reader = stdout.fileHandleForReading
        // Reading blocks, so it happens on a thread of its own rather than on the cooperative pool.
        let firstLine: String = await withCheckedContinuation { continuation in
            Thread {
                var line = Data()
                while true {
                    let byte = reader.readData(ofLength: 1)
                    if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
                    line.append(byte)
                }
                continuation.resume(returning: String(decoding: line, as: UTF8.self))
            }.start()
        }
        guard let port = Int(firstLine), port > 0 else {
            process.terminate()
            let name = URL(fileURLWithPath: script).lastPathComponent
            throw StartError(description: "\(name) did not print a port (got \"\(firstLine)\")")
        }
        return LocalServerProcess(port: port, process: process, stdin: stdin)
    }

    /// Stops the server: closes its standard input, then SIGTERM. With `waitingForExit` it waits for the exit
    /// (on a thread of its own); without, it gives the server 200 ms and does not wait — for callers that restart
    /// servers while others run, where Foundation may learn of an exit through a descriptor another holds.
    public func stop(waitingForExit: Bool = true) async {
        guard let process = process.withLock({ $0.take() }) else { return }
        try? stdin.fileHandleForWriting.close()
        guard waitingForExit else {
            try? await Task.sleep(for: .milliseconds(200))
            kill(process.processIdentifier, SIGTERM)
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }
}
