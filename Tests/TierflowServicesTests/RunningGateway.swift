import Foundation
import ServiceLifecycle
import Synchronization
import TierflowCore
import TierflowGateway
import TierflowPipeline

/// One tierflow-gateway (its own broker and database connections, reply queue and HTTP server on a free
/// loopback port) running in this process, as a separate gateway process would.
struct RunningGateway: Sendable {
    let gateway: Gateway
    let group: ServiceGroup
    let running: Task<Void, any Error>
    /// `http://127.0.0.1:PORT`
    let url: String

    static func start(config: PipelineConfig) async throws -> RunningGateway {
        let gateway = try await Gateway.connect(config: config, scorer: TransparentScorer(), logger: PipelineHarness.logger)
        let port = Mutex<Int?>(nil)
        let group = ServiceGroup(
            services: gateway.services(port: 0) { bound in port.withLock { $0 = bound } }, logger: PipelineHarness.logger)
        let running = Task { try await group.run() }
        var bound: Int?
        for _ in 0..<200 where bound == nil {
            try await Task.sleep(for: .milliseconds(25))
            bound = port.withLock { $0 }
        }
        guard let bound else {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            await gateway.close()
            throw CancellationError()
        }
        return RunningGateway(gateway: gateway, group: group, running: running, url: "http://127.0.0.1:\(bound)")
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await gateway.close()
    }
}
