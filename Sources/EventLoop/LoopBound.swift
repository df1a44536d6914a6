/// Carries a loop-owned, non-Sendable object through another thread and back to its loop (like NIO's
/// `NIOLoopBound`): the value may only be touched on `loop`, which `value` checks.
public struct LoopBound<Value>: @unchecked Sendable {
    private let wrapped: Value
    public let loop: EventLoop

    public init(_ value: Value, loop: EventLoop) {
        self.wrapped = value
        self.loop = loop
    }

    public var value: Value {
        loop.assertInLoop()
        return wrapped
    }
}
