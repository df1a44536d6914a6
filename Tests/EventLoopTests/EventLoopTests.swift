import Posix
import EventLoop
import Testing

@Suite struct EventLoopTests {
    @Test func executeRunsOnTheLoopThread() async throws {
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop(); loop.join() }
        let ran = Promise<Bool>()
        loop.execute { ran.fulfill(loop.inEventLoop) }
        #expect(await ran.wait() == true)
        #expect(!loop.inEventLoop)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() async throws {
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop(); loop.join() }
        let order = Locked<[Int]>([])
        let done = Promise<[Int]>()
        loop.execute {
            loop.schedule(after: .milliseconds(30)) { order.withLock { $0.append(3) } }
            loop.schedule(after: .milliseconds(10)) { order.withLock { $0.append(1) } }
            let cancelled = loop.schedule(after: .milliseconds(20)) { order.withLock { $0.append(2) } }
            loop.cancel(cancelled)
            loop.schedule(after: .milliseconds(40)) { done.fulfill(order.withLock { $0 }) }
        }
        #expect(await done.wait() == [1, 3])
    }

    @Test func manyCrossThreadTasksAllRunExactlyOnce() async throws {
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop(); loop.join() }
        let count = Counter()
        let done = Promise<Int>()
        let total = 10_000
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<(total / 4) {
                        loop.execute {
                            let n = count.increment()
                            if n == total { done.fulfill(n) }
                        }
                    }
                }
            }
        }
        #expect(await done.wait() == total)
    }
}

final class Counter: Sendable {
    private let value = Locked(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

@Suite struct TimerReentrancyTests {
    /// A timer that reschedules itself from its own callback (heartbeats do) must not corrupt the heap.
    @Test func aTimerMayScheduleAndCancelTimersFromItsCallback() async throws {
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop(); loop.join() }
        let done = Promise<Int>()
        loop.execute {
            let ticks = TickBox()
            func tick() {
                ticks.count += 1
                if ticks.count == 5 { done.fulfill(ticks.count); return }
                let stray = loop.schedule(after: .milliseconds(1)) { ticks.count += 100 }
                loop.cancel(stray)
                loop.schedule(after: .milliseconds(1)) { tick() }
            }
            loop.schedule(after: .milliseconds(1)) { tick() }
        }
        #expect(await done.wait() == 5)
    }
}

final class TickBox { var count = 0 }
