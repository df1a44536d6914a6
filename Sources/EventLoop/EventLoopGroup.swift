import CShims
import Posix

/// N loops, one thread each; connections are spread over them and stay on the loop that accepted them.
public final class EventLoopGroup: @unchecked Sendable {
    public let loops: [EventLoop]
    private var cursor = 0

    public init(count: Int) throws(IOError) {
        _ = cshim_ignore_sigpipe()   // a peer that closed is an EPIPE value, never a signal
        var loops: [EventLoop] = []
        for i in 0..<max(1, count) { loops.append(try EventLoop(index: i)) }
        self.loops = loops
        for loop in loops { loop.start() }
    }

    /// Round-robin; call from one thread (the wiring), not from the loops.
    public func next() -> EventLoop {
        defer { cursor = (cursor + 1) % loops.count }
        return loops[cursor]
    }

    public func shutdown() {
        for loop in loops { loop.stop() }
        for loop in loops { loop.join() }
    }
}
