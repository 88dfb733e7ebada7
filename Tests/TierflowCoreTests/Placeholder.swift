import Testing
@testable import TierflowCore
