import Foundation
import Testing

import TierflowServices

/// The process group's own directory: deleted after a clean run, kept when a process failed or the caller named it.
@Suite("Worker process group directory")
struct WorkerProcessGroupTests {
    /// A directory of stand-in executables: `tierflow-ok` exits 0, `tierflow-fail` exits 3, `tierflow-wait` sleeps
    /// (with SIGTERM at its default action: the test runner may ignore it, and children inherit that),
    /// `tierflow-stubborn` sleeps through SIGTERM.
    private static func binaries() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scripts = [
            ("ok", "exit 0"), ("fail", "echo failing; exit 3"), ("wait", "exec env --default-signal=TERM sleep 30"),
            ("stubborn", "trap '' TERM; exec sleep 30"),
        ]
        for (name, body) in scripts {
            let path = directory.appendingPathComponent("tierflow-\(name)").path
            try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        return directory
    }

    private static func waitUntilStopped(_ group: WorkerProcessGroup) async throws {
        for _ in 0..<200 where !group.running.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func aCleanRunLeavesNothingBehind() async throws {
        let bin = try Self.binaries()
        defer { try? FileManager.default.removeItem(at: bin) }
        let group = try WorkerProcessGroup(binDirectory: bin, configYAML: "namespace: t\n")
        try group.start("ok")
        try group.start("wait")
        _ = try await group.terminate("wait", within: .seconds(5))  // ended by SIGTERM: stopped, not failed
        try await Self.waitUntilStopped(group)
        #expect(group.statuses["wait"] == .signalled(SIGTERM))
        try group.start("wait", replica: 2)
        group.crash("wait-2")  // a crash the caller asked for is not a failure
        #expect(group.statuses["wait-2"] == .signalled(SIGKILL))
        #expect(FileManager.default.fileExists(atPath: group.configPath))
        #expect(group.removeTemporaryDirectory())
        #expect(!FileManager.default.fileExists(atPath: group.directory.path))
    }

    @Test func aRunningProcessKeepsTheDirectory() async throws {
        let bin = try Self.binaries()
        defer { try? FileManager.default.removeItem(at: bin) }
        let group = try WorkerProcessGroup(binDirectory: bin, configYAML: "namespace: t\n")
        defer { try? FileManager.default.removeItem(at: group.directory) }
        try group.start("wait")
        #expect(!group.removeTemporaryDirectory())
        _ = try await group.terminate("wait", within: .seconds(5))
        #expect(group.removeTemporaryDirectory(), "stopped by SIGTERM")
    }

    @Test func aFailedProcessKeepsItsLog() async throws {
        let bin = try Self.binaries()
        defer { try? FileManager.default.removeItem(at: bin) }
        let group = try WorkerProcessGroup(binDirectory: bin, configYAML: "namespace: t\n")
        defer { try? FileManager.default.removeItem(at: group.directory) }
        try group.start("ok")
        try group.start("fail")
        try await Self.waitUntilStopped(group)
        #expect(group.statuses["fail"] == .exited(3))
        #expect(!group.removeTemporaryDirectory())
        #expect(group.log("fail").contains("failing"))
    }

    @Test func aProcessThatHadToBeKilledKeepsItsLog() async throws {
        let bin = try Self.binaries()
        defer { try? FileManager.default.removeItem(at: bin) }
        let group = try WorkerProcessGroup(binDirectory: bin, configYAML: "namespace: t\n")
        defer { try? FileManager.default.removeItem(at: group.directory) }
        try group.start("stubborn")
        #expect(try await group.terminate("stubborn", within: .milliseconds(300)) == -9)
        try await Self.waitUntilStopped(group)
        #expect(group.statuses["stubborn"] == .signalled(SIGKILL))
        #expect(!group.removeTemporaryDirectory())
        #expect(FileManager.default.fileExists(atPath: group.directory.appendingPathComponent("stubborn.log").path))
    }

    @Test func aDirectoryTheCallerNamedIsKept() async throws {
        let bin = try Self.binaries()
        defer { try? FileManager.default.removeItem(at: bin) }
        let named = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-named-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: named) }
        let group = try WorkerProcessGroup(binDirectory: bin, configYAML: "namespace: t\n", directory: named)
        try group.start("ok")
        try await Self.waitUntilStopped(group)
        #expect(!group.removeTemporaryDirectory())
        #expect(FileManager.default.fileExists(atPath: named.appendingPathComponent("ok.log").path))
    }
}
