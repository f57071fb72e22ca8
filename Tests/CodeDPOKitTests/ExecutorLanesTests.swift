import XCTest

@testable import CodeDPOKit

/// Which worker a job goes to first: each worker keeps to problems of its own (so each
/// distinct test is compiled by one worker, not by all of them).
final class ExecutorLanesTests: XCTestCase {
    /// A plan as `Executor.plan` makes one: by problem, then solution; a solution with more
    /// tests than a job holds is several jobs in a row.
    func plan(_ problems: [(solutions: Int, tests: Int)], testsPerJob: Int = 4) -> [Executor.Job] {
        var jobs: [Executor.Job] = []
        var solutionID: Int64 = 100
        var testID: Int64 = 1
        for (problem, shape) in problems.enumerated() {
            let tests = (0..<shape.tests).map { _ -> (id: Int64, code: String) in
                defer { testID += 1 }
                return (testID, "assert True")
            }
            for _ in 0..<shape.solutions {
                solutionID += 1
                for start in stride(from: 0, to: tests.count, by: testsPerJob) {
                    jobs.append(Executor.Job(problemID: Int64(problem + 1), solutionID: solutionID, code: "",
                                             tests: Array(tests[start..<min(start + testsPerJob, tests.count)])))
                }
            }
        }
        return jobs
    }

    func key(_ job: Executor.Job) -> String { "\(job.solutionID)/\(job.tests[0].id)" }

    func testEachProblemIsInOneLaneOfConsecutiveProblemsOfAboutEqualSize() {
        let jobs = plan([(5, 3), (2, 9), (7, 2), (4, 6), (3, 5), (6, 4), (1, 10), (5, 3)])
        let total = jobs.reduce(0) { $0 + $1.tests.count }
        for count in [2, 3] {
            let lanes = Executor.lanes(jobs, count: count)
            XCTAssertEqual(lanes.count, count)
            // Every job in exactly one lane, marked with it; plan order within a lane, and the
            // lanes one after another are the plan: runs of consecutive problems.
            XCTAssertEqual(lanes.flatMap { $0 }.map(key), jobs.map(key))
            for (lane, queue) in lanes.enumerated() {
                XCTAssertFalse(queue.isEmpty, "lane \(lane) of \(count) has no work")
                XCTAssertTrue(queue.allSatisfy { $0.lane == lane })
            }
            var laneOf: [Int64: Int] = [:]
            for queue in lanes {
                for job in queue {
                    XCTAssertEqual(laneOf[job.problemID, default: job.lane], job.lane, "problem \(job.problemID) in two lanes")
                    laneOf[job.problemID] = job.lane
                }
            }
            // About equal: a lane is off its share by at most the largest problem's tests.
            let largestProblem = 24     // tests of all its solutions (problems 4 and 6)
            for queue in lanes {
                XCTAssertLessThanOrEqual(abs(queue.reduce(0) { $0 + $1.tests.count } - total / count), largestProblem)
            }
        }
    }

    func testOneLaneIsThePlan() {
        let jobs = plan([(3, 5), (2, 2)])
        XCTAssertEqual(Executor.lanes(jobs, count: 1).map { $0.map(key) }, [jobs.map(key)])
        XCTAssertEqual(Executor.lanes([], count: 2).map(\.count), [0, 0])
    }

    func testASplitJobKeepsItsProblemAndLane() {
        var job = Executor.Job(problemID: 7, solutionID: 3, code: "", tests: (1...6).map { (Int64($0), "") })
        job.lane = 1
        let parts = job.split(into: 2)
        XCTAssertEqual(parts.map(\.problemID), [7, 7])
        XCTAssertEqual(parts.map(\.lane), [1, 1])
        XCTAssertEqual(parts.flatMap { $0.tests.map(\.id) }, [1, 2, 3, 4, 5, 6])
    }

    func testPopPreferringTakesTheFirstAcceptedElementElseTheHeadWhenAllowed() {
        let queue = BoundedQueue<Int>(capacity: 100)
        for value in 1...6 { queue.push(value) }
        XCTAssertEqual(queue.pop(preferring: { $0 % 2 == 0 }, orAnyWhen: { false }), 2)
        XCTAssertEqual(queue.pop(preferring: { $0 > 10 }, orAnyWhen: { true }), 1)
        XCTAssertEqual(queue.pop(preferring: { $0 == 6 }, orAnyWhen: { false }), 6)
        XCTAssertEqual(queue.pop(), 3)
        queue.close()
        // Closed: the rest is drained, wanted or not.
        XCTAssertEqual(queue.pop(preferring: { _ in false }, orAnyWhen: { false }), 4)
        XCTAssertEqual(queue.pop(preferring: { _ in true }, orAnyWhen: { false }), 5)
        XCTAssertNil(queue.pop(preferring: { _ in true }, orAnyWhen: { true }))
    }

    func testAWorkerWaitsForItsOwnLaneUntilItHasNoMoreToCome() {
        // Another lane's job waits; this worker's lane has more to come: it waits for its own,
        // and takes the other one only once its lane is done.
        let queue = BoundedQueue<Int>(capacity: 100)
        let done = LockedFlags(count: 1)
        queue.push(1)        // lane "odd"
        let got = BoundedQueue<Int>(capacity: 10)
        let worker = Thread {
            while let value = queue.pop(preferring: { $0 % 2 == 0 }, orAnyWhen: { done[0] }) {
                got.push(value)
            }
            got.close()
        }
        worker.start()
        guard case .timedOut = got.pop(timeout: 0.3) else { return XCTFail("took another lane's job while its own had more to come") }
        queue.push(2)
        guard case .item(let first) = got.pop(timeout: 5) else { return XCTFail("did not take its own lane's job") }
        XCTAssertEqual(first, 2)
        XCTAssertTrue(done.set([true]))
        queue.wake()
        guard case .item(let second) = got.pop(timeout: 5) else { return XCTFail("did not take the other job once its lane was done") }
        XCTAssertEqual(second, 1)
        queue.close()
        guard case .closed = got.pop(timeout: 5) else { return XCTFail("did not stop at close") }
    }
}
