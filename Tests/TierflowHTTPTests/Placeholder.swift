import Testing
@testable import TierflowHTTP
