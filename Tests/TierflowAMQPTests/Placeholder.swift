import Testing
@testable import TierflowAMQP
