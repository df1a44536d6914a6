import EventLoop

/// One timer per connection, moved between "idle" (waiting for a request) and "request" (a request has
/// started and must complete in time). Loop-only.
final class Deadline {
    enum Kind { case idle, request }

    private let loop: EventLoop
    private var handle: TimerHandle?
    private(set) var kind: Kind?

    init(loop: EventLoop) {
        self.loop = loop
    }

    func arm(_ kind: Kind, after delay: Duration, _ body: @escaping () -> Void) {
        cancel()
        self.kind = kind
        handle = loop.schedule(after: delay) { [weak self] in
            self?.handle = nil
            self?.kind = nil
            body()
        }
    }

    func cancel() {
        if let handle { loop.cancel(handle) }
        handle = nil
        kind = nil
    }
}
