import Foundation
import Synchronization

/// Runs `Tests/Fixtures/http_test_server.py` (see the routes documented at its top) on 127.0.0.1.
///
/// Each instance is its own process with its own counters and scripts, so parallel tests don't
/// interfere. The server also exits by itself when the test process ends (its stdin closes).
final class TestHTTPServer: Sendable {
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// The port the server listens on.
    let port: Int
    private let process: Mutex<Process?>
    private let stdin: Pipe

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The absolute URL for `path` (which starts with `/`).
    func url(_ path: String) -> String { baseURL + path }

    /// The fixture script, found relative to this source file.
    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/http_test_server.py").path

    private init(port: Int, process: sending Process, stdin: Pipe) {
        self.port = port
        self.process = Mutex(process)
        self.stdin = stdin
    }

    /// Starts a server and waits until it has printed its port.
    static func start() async throws -> TestHTTPServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", scriptPath]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let reader = stdout.fileHandleForReading
        // Reading blocks, so it happens on its own thread rather than the cooperative pool.
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
            throw StartError(description: "test server did not print a port (got \"\(firstLine)\")")
        }
        return TestHTTPServer(port: port, process: process, stdin: stdin)
    }

    /// Terminates the server and waits for it to exit.
    func stop() async {
        guard let process = process.withLock({ $0.take() }) else { return }
        try? stdin.fileHandleForWriting.close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }

    /// Runs `body` with a fresh server, stopping it afterwards even if `body` throws.
    static func with<T>(_ body: (TestHTTPServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
