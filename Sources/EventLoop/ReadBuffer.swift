import Glibc

/// A connection's input: bytes in [readerIndex, writerIndex) of one malloc'd region, compacted or grown in
/// place so a partial frame stays contiguous. Reused for the connection's life: no allocation per read.
public final class ReadBuffer {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    public private(set) var readerIndex = 0
    public private(set) var writerIndex = 0

    public init(capacity: Int = 16 * 1024) {
        self.capacity = capacity
        base = malloc(capacity)!
    }

    deinit { free(base) }

    public var readableCount: Int { writerIndex - readerIndex }

    /// The unread bytes. Valid until the next call that mutates the buffer.
    @inline(__always)
    public var readable: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + readerIndex, count: writerIndex - readerIndex)
    }

    @inline(__always)
    public func consume(_ count: Int) {
        precondition(count <= readableCount)
        readerIndex += count
        if readerIndex == writerIndex { readerIndex = 0; writerIndex = 0 }
    }

    /// Room for at least `minimum` more bytes, moving unread bytes to the front before growing.
    public func writableSpace(minimum: Int = 4096) -> UnsafeMutableRawBufferPointer {
        if capacity - writerIndex < minimum {
            if readerIndex > 0 {
                memmove(base, base + readerIndex, readableCount)
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
        return UnsafeMutableRawBufferPointer(start: base + writerIndex, count: capacity - writerIndex)
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
    public func shrinkIfIdle(to target: Int = 16 * 1024) {
        guard readableCount == 0, capacity > target * 4 else { return }
        free(base)
        base = malloc(target)!
        capacity = target
        readerIndex = 0
        writerIndex = 0
    }
}
