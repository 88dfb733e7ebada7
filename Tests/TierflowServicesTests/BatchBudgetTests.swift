import Testing

@testable import TierflowServices

/// How many queries a batch with a budget cap may publish now (`BatchRunner.budgetRoom`).
@Suite("Batch budget cap")
struct BatchBudgetTests {
    private func status(queries: Int, done: Int, spent: Double, dearest: Double) -> BatchStatus {
        var status = BatchStatus(id: "b", file: "f.csv", queries: queries, doneQueries: done, costUSD: spent)
        status.maxQueryCostUSD = dearest
        return status
    }

    @Test func beforeAnyAnswerOneQueryAtATime() {
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 0, done: 0, spent: 0, dearest: 0)) == 1)
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 1, done: 0, spent: 0, dearest: 0)) == 0)
    }

    @Test func freeAnswersOpenTheWindowOnlyAsFastAsTheyComeIn() {
        // Eight knowledge-base hits, nothing paid yet: what a paid query costs is unknown.
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 8, done: 8, spent: 0, dearest: 0)) == 8)
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 11, done: 8, spent: 0, dearest: 0)) == 5)
    }

    @Test func aCheapFirstAnswerDoesNotOpenTheWholeBudget() {
        // The first answer cost $0.10: the mean alone would allow nine more at once, which could cost $2.70.
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 1, done: 1, spent: 0.1, dearest: 0.1)) == 1)
        // Then a $0.30 one: each further query is reserved at $0.30, not at the $0.20 mean.
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 2, done: 2, spent: 0.4, dearest: 0.3)) == 2)
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 3, done: 2, spent: 0.4, dearest: 0.3)) == 1)
    }

    @Test func reservesTheDearestQueryForEachInFlight() {
        // $0.50 spent over ten answers (dearest $0.10), four in flight: 0.5 + 4 × 0.1 = 0.9, room for one more.
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 14, done: 10, spent: 0.5, dearest: 0.1)) == 1)
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 15, done: 10, spent: 0.5, dearest: 0.1)) <= 0)
        #expect(BatchRunner.budgetRoom(budget: 1, status: status(queries: 10, done: 10, spent: 1.0, dearest: 0.1)) <= 0)
    }
}
