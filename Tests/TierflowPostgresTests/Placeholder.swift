import Testing
@testable import TierflowPostgres
