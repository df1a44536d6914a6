import Glibc

/// A connection's input: bytes in [readerIndex, writerIndex) of one malloc'd region, compacted or grown in
/// place so a partial frame stays contiguous. With a pool, the region is taken only while bytes are being
/// read and given back once they are all consumed (`releaseIfEmpty`), so an idle connection holds no input
/// memory: 10,000 idle clients cost 10,000 small objects, not 10,000 touched pages.
public final class ReadBuffer {
    private var base: UnsafeMutableRawPointer?
    public private(set) var capacity = 0
    public private(set) var readerIndex = 0
    public private(set) var writerIndex = 0
    private let initialCapacity: Int
    private let pool: ReadBufferPool?

    /// Without a pool the region is allocated at once and kept (one buffer per TLS session, HTTP, tools).
    public init(capacity: Int = ReadBufferPool.blockSize) {
        initialCapacity = capacity
        pool = nil
        allocate()
    }

    /// Takes a block from `pool` when bytes arrive; give it back with `releaseIfEmpty` (on the pool's loop).
    public init(pool: ReadBufferPool) {
        initialCapacity = ReadBufferPool.blockSize
        self.pool = pool
    }

    deinit { if let base { free(base) } }

    public var readableCount: Int { writerIndex - readerIndex }

    /// The unread bytes. Valid until the next call that mutates the buffer.
    @inline(__always)
    public var readable: UnsafeMutableRawBufferPointer {
        guard let base else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(start: base + readerIndex, count: writerIndex - readerIndex)
    }

    @inline(__always)
    public func consume(_ count: Int) {
        precondition(count <= readableCount)
        readerIndex += count
        if readerIndex == writerIndex { readerIndex = 0; writerIndex = 0 }
    }

    /// Room for at least `minimum` more bytes, moving unread bytes to the front before growing.
    public func writableSpace(minimum: Int = 4096) -> UnsafeMutableRawBufferPointer {
        if base == nil { allocate() }
        if capacity - writerIndex < minimum {
            if readerIndex > 0 {
                memmove(base!, base! + readerIndex, readableCount)
                writerIndex -= readerIndex
                readerIndex = 0
            }
            if capacity - writerIndex < minimum {
                var newCapacity = capacity
                while newCapacity - writerIndex < minimum { newCapacity *= 2 }
                base = realloc(base, newCapacity)!
                capacity = newCapacity
            }
        }
        return UnsafeMutableRawBufferPointer(start: base! + writerIndex, count: capacity - writerIndex)
    }

    @inline(__always)
    public func didWrite(_ count: Int) {
        precondition(writerIndex + count <= capacity)
        writerIndex += count
    }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        let space = writableSpace(minimum: bytes.count)
        if let src = bytes.baseAddress, bytes.count > 0 { space.baseAddress!.copyMemory(from: src, byteCount: bytes.count) }
        didWrite(bytes.count)
    }

    /// Gives memory back after a burst of large frames, once the buffer is empty.
    public func shrinkIfIdle(to target: Int = ReadBufferPool.blockSize) {
        guard readableCount == 0, capacity > target * 4, let old = base else { return }
        free(old)
        base = malloc(target)!
        capacity = target
        readerIndex = 0
        writerIndex = 0
    }

    /// With a pool: once every byte is consumed, the region goes back (a grown one is freed).
    @inline(__always)
    public func releaseIfEmpty() {
        guard let pool, readerIndex == writerIndex, let old = base else { return }
        base = nil
        if capacity == ReadBufferPool.blockSize { pool.give(old) } else { free(old) }
        capacity = 0
        readerIndex = 0
        writerIndex = 0
    }

    private func allocate() {
        capacity = initialCapacity
        base = pool.map { $0.take() } ?? malloc(initialCapacity)!
    }
}

/// Free input blocks of one loop; only that loop's thread touches it. A connection holds a block only from a
/// read until its bytes are consumed, so a loop needs about one per connection that has a partial frame.
public final class ReadBufferPool {
    public static let blockSize = 16 * 1024
    private var free: [UnsafeMutableRawPointer] = []
    private let keep: Int

    public init(keep: Int = 64) { self.keep = keep }

    deinit { for block in free { Glibc.free(block) } }

    func take() -> UnsafeMutableRawPointer { free.popLast() ?? malloc(Self.blockSize)! }

    func give(_ block: UnsafeMutableRawPointer) {
        if free.count < keep { free.append(block) } else { Glibc.free(block) }
    }
}
