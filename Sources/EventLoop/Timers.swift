import Glibc

public enum MonotonicClock {
    /// Nanoseconds on CLOCK_MONOTONIC.
    @inline(__always)
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

public struct TimerHandle: Hashable, Sendable {
    let id: UInt64
}

/// A binary min-heap of deadlines. Cancelling removes the callback; its heap entry is skipped when it surfaces.
struct TimerHeap {
    private struct Entry { var deadline: Int64; var id: UInt64 }
    private var heap: [Entry] = []
    private var callbacks: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    mutating func schedule(at deadline: Int64, _ body: @escaping () -> Void) -> TimerHandle {
        let id = nextID
        nextID += 1
        callbacks[id] = body
        heap.append(Entry(deadline: deadline, id: id))
        siftUp(heap.count - 1)
        return TimerHandle(id: id)
    }

    mutating func cancel(_ handle: TimerHandle) {
        callbacks[handle.id] = nil
    }

    /// -1 (forever) when nothing is scheduled; otherwise rounded up so we never wake early and spin.
    mutating func millisecondsUntilNext(now: Int64) -> CInt {
        dropCancelledHead()
        guard let first = heap.first else { return -1 }
        let remaining = first.deadline - now
        if remaining <= 0 { return 0 }
        return CInt(min((remaining + 999_999) / 1_000_000, Int64(Int32.max)))
    }

    /// Removes and returns the due callbacks, to be run by the caller: a callback may schedule or cancel
    /// timers, which must not happen while the heap is being mutated.
    mutating func takeDue(now: Int64) -> [() -> Void] {
        var due: [() -> Void] = []
        while let first = heap.first, first.deadline <= now {
            popFirst()
            if let body = callbacks.removeValue(forKey: first.id) { due.append(body) }
        }
        return due
    }

    private mutating func dropCancelledHead() {
        while let first = heap.first, callbacks[first.id] == nil { popFirst() }
    }

    private mutating func popFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, heap[l].deadline < heap[smallest].deadline { smallest = l }
            if r < heap.count, heap[r].deadline < heap[smallest].deadline { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
