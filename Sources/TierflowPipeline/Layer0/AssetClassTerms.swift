import Synchronization

/// The domain terms each asset class stands for, analysed once: a plant has a handful of classes ("pump",
/// "chiller"), and every fault event names one, so ``Layer0Analyzer`` would otherwise analyse the same word
/// on every lookup. Keyed by the class's UTF-8 bytes, so a class is never served another spelling's terms.
final class AssetClassTerms: Sendable {
    /// Beyond this many classes, new ones are analysed every time rather than kept.
    static let capacity = 4096

    private let terms = Mutex<[[UInt8]: [String]]>([:])

    /// The terms of `assetClass`, from the cache or from `analyse` (then kept).
    func terms(of assetClass: String, analyse: (String) -> [String]) -> [String] {
        let key = Array(assetClass.utf8)
        if let known = terms.withLock({ $0[key] }) { return known }
        let found = analyse(assetClass)
        terms.withLock { if $0.count < Self.capacity { $0[key] = found } }
        return found
    }
}
