import Foundation
import Testing
import TierflowServices

/// The process group's own directory: deleted after a clean run, kept when a process failed or the caller named it.
@Suite("Worker process group directory")
struct WorkerProcessGroupTests {
    /// Runs `body` with a group whose executables are stand-ins: `tierflow-ok` exits 0, `tierflow-fail` exits 3,
    /// `tierflow-wait` sleeps (with SIGTERM at its default action: the test runner may ignore it, and children
    /// inherit that), `tierflow-stubborn` sleeps through SIGTERM. Whatever the test leaves is deleted afterwards.
    private static func withGroup(directory: URL? = nil, _ body: (WorkerProcessGroup) async throws -> Void) async throws {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        let scripts = [
            ("ok", "exit 0"), ("fail", "echo failing; exit 3"), ("wait", "exec env --default-signal=TERM sleep 30"),
            ("stubborn", "trap '' TERM; exec sleep 30"),
        ]
        for (name, script) in scripts {
            let path = bin.appendingPathComponent("tierflow-\(name)").path
            try "#!/bin/sh\n\(script)\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        let group = try WorkerProcessGroup(binDirectory: bin, configYAML: "namespace: t\n", directory: directory)
        defer {
            group.killAll()
            try? FileManager.default.removeItem(at: group.directory)
        }
        try await body(group)
    }

    private static func waitUntilStopped(_ group: WorkerProcessGroup) async throws {
        for _ in 0..<200 where !group.running.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func aCleanRunLeavesNothingBehind() async throws {
        try await Self.withGroup { group in
            try group.start("ok")
            try group.start("wait")
            _ = try await group.terminate("wait", within: .seconds(5))  // ended by SIGTERM: stopped, not failed
            try group.start("wait", replica: 2)
            group.crash("wait-2")  // a crash the caller asked for is not a failure
            try await Self.waitUntilStopped(group)
            #expect(group.statuses["wait"] == .signalled(SIGTERM))
            #expect(group.statuses["wait-2"] == .signalled(SIGKILL))
            #expect(FileManager.default.fileExists(atPath: group.configPath))
            #expect(group.removeTemporaryDirectory())
            #expect(!FileManager.default.fileExists(atPath: group.directory.path))
        }
    }

    @Test func aRunningProcessKeepsTheDirectory() async throws {
        try await Self.withGroup { group in
            try group.start("wait")
            #expect(!group.removeTemporaryDirectory())
            _ = try await group.terminate("wait", within: .seconds(5))
            #expect(group.removeTemporaryDirectory(), "stopped by SIGTERM")
        }
    }

    @Test func aFailedProcessKeepsItsLog() async throws {
        try await Self.withGroup { group in
            try group.start("ok")
            try group.start("fail")
            try await Self.waitUntilStopped(group)
            #expect(group.statuses["fail"] == .exited(3))
            #expect(!group.removeTemporaryDirectory())
            #expect(group.log("fail").contains("failing"))
        }
    }

    @Test func aProcessThatHadToBeKilledKeepsItsLog() async throws {
        try await Self.withGroup { group in
            try group.start("stubborn")
            #expect(try await group.terminate("stubborn", within: .milliseconds(300)) == -9)
            try await Self.waitUntilStopped(group)
            #expect(group.statuses["stubborn"] == .signalled(SIGKILL))
            #expect(!group.removeTemporaryDirectory())
            #expect(FileManager.default.fileExists(atPath: group.directory.appendingPathComponent("stubborn.log").path))
        }
    }

    @Test func aDirectoryTheCallerNamedIsKept() async throws {
        let named = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-named-\(UUID().uuidString)")
        try await Self.withGroup(directory: named) { group in
            try group.start("ok")
            try await Self.waitUntilStopped(group)
            #expect(!group.removeTemporaryDirectory())
            #expect(FileManager.default.fileExists(atPath: named.appendingPathComponent("ok.log").path))
        }
    }
}
