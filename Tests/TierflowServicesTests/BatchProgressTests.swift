import Testing

@testable import TierflowServices

/// The progress bar and plain progress lines of `tierflow batch run`.
@Suite("Batch progress")
struct BatchProgressTests {
    let progress = BatchProgress(
        status: BatchStatus(
            id: "b1", file: "x.csv", totalLines: 1_000_000, linesRead: 300_000, malformed: 2_000, queries: 9_000,
            doneQueries: 8_000, doneLines: 248_000, costUSD: 1.25, layerCounts: [0: 2_000, 1: 4_000, 2: 1_600, 3: 400]),
        linesPerSecond: 2_500, tiers: ["edge", "gpu", "cloud"], elapsedSeconds: 100)

    @Test func barShowsDoneTotalRateEtaLayerSharesAndCost() {
        let bar = progress.bar(width: 10)
        #expect(bar.hasPrefix("██░░░░░░░░ 250k/1.00M  25.0%"), "\(bar)")
        #expect(bar.contains("2500/s"))
        #expect(bar.contains("ETA 5m00s"))
        #expect(bar.contains("L0 25% edge 50% gpu 20% cloud 5%"))
        #expect(bar.contains("$1.2500"))
    }

    @Test func plainLineForLogs() {
        #expect(progress.line.hasPrefix("batch b1: 250000/1000000 lines done (2000 skipped), 8000/9000 queries answered, 2500 lines/s, ETA 5m00s"))
        #expect(BatchProgress.duration(nil) == "--")
        #expect(BatchProgress.duration(7322) == "2h02m")
    }
}
