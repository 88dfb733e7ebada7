import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Learned router: the hashed featuriser")
struct RouterFeaturizerTests {
    let featurizer = HashedFeaturizer(options: .init(hashBits: 16))

    func norm(_ vector: FeatureVector) -> Float { vector.norm }

    @Test func featuresAreDeterministicAndInRange() {
        let query = RouterQuery(text: "Calculate the flow in m3/h if the pump runs at 1450 rpm and 3.5 bar?")
        let first = featurizer.features(of: query)
        let second = HashedFeaturizer(options: .init(hashBits: 16)).features(of: query)
        #expect(first == second)
        #expect(first.count > 20)
        #expect(first.indices.allSatisfy { $0 >= 0 && Int($0) < featurizer.dimension })
    }

    @Test func eachBlockHasItsWeightAsNorm() {
        let options = HashedFeaturizer.Options(hashBits: 20, wordWeight: 1, charWeight: 0, structureWeight: 0)
        let words = HashedFeaturizer(options: options).features(of: RouterQuery(text: "the pump the valve"))
        #expect(abs(words.norm - 1) < 1e-5)
        let all = HashedFeaturizer(options: .init(hashBits: 20, wordWeight: 1, charWeight: 0.5, structureWeight: 0.3))
            .features(of: RouterQuery(text: "the pump the valve"))
        // Blocks hash into separate namespaces, so collisions between them are rare at 2^20.
        #expect(abs(all.norm - (1 + 0.25 + 0.09).squareRoot()) < 0.02)
    }

    @Test func repeatedWordsCountSublinearly() {
        let options = HashedFeaturizer.Options(hashBits: 20, bigrams: false, charWeight: 0, structureWeight: 0)
        let vector = HashedFeaturizer(options: options).features(of: RouterQuery(text: "pump pump pump pump valve"))
        let sorted = vector.values.sorted()
        #expect(vector.count == 2)
        #expect(abs(sorted[1] / sorted[0] - (1 + log(4) as Float)) < 1e-4)
    }

    @Test func structureSeesStatsSeverityAndFaultFamily() {
        let event = FaultEvent(
            eventId: "e1", site: "s", asset: "P-1", assetClass: "pump", tag: "PIR101", alarmType: "LL", faultCode: "M017",
            severity: .critical, message: "PUMP DISCH PRESS LOW LOW", values: ["p": 1.2])
        let critical = RouterQuery(payload: .faultEvent(event))
        var lowEvent = event
        lowEvent.severity = .low
        let low = RouterQuery(payload: .faultEvent(lowEvent))
        #expect(critical.severity == "critical" && critical.faultCode == "M017" && critical.source == "scada")
        #expect(featurizer.features(of: critical) != featurizer.features(of: low))
        #expect(HashedFeaturizer.codeFamily("M017") == "m")
        #expect(HashedFeaturizer.codeFamily("HX-204") == "hx")
        #expect(HashedFeaturizer.codeFamily("42") == "digits")

        let text = "Compute 3.5 kW for 20 min?\nA. yes\nB. no\nC. maybe\nAnswer:"
        let stats = text.utf8.withContiguousStorageIfAvailable { featurizer.scanWords($0).stats }!
        #expect(stats.decimals == 1)
        #expect(stats.units == 2)
        #expect(stats.optionLines == 3)
        #expect(stats.numbers == 3)
        #expect(HashedFeaturizer.logBucket(0) == 0 && HashedFeaturizer.logBucket(1) == 1 && HashedFeaturizer.logBucket(1000) == 9)
    }

    @Test func characterNGramsStopAtTheByteLimit() {
        let options = HashedFeaturizer.Options(hashBits: 20, wordWeight: 0, charWeight: 1, maxCharBytes: 64, structureWeight: 0)
        let short = HashedFeaturizer(options: options)
        let long = String(repeating: "abcdefghij", count: 6) + String(repeating: " different tail text", count: 50)
        let capped = short.features(of: RouterQuery(text: long))
        let prefix = short.features(of: RouterQuery(text: String(long.prefix(64))))
        #expect(capped == prefix)
    }

    @Test func nonASCIITextIsHashedAsWords() {
        let vector = featurizer.features(of: RouterQuery(text: "Überdruck im Kühlwasser — Störung 温度"))
        #expect(vector.count > 10)
        #expect(vector.values.allSatisfy { $0.isFinite })
    }

    @Test func emptyTextStillHasStructure() {
        let vector = featurizer.features(of: RouterQuery(text: ""))
        #expect(vector.count >= 1)
        #expect(vector.values.allSatisfy { $0.isFinite })
    }
}
