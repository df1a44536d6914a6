import Glibc
import Posix

/// A block of bytes for outgoing data, recycled through its loop's `ChunkPool`. Two sizes: a queue starts
/// with a small one, which is all a typical answer needs, and takes large ones only for more. A thousand
/// clients answered in the same loop iteration then hold a thousand small chunks until the flush (about
/// 1 MiB), not a thousand 64 KiB ones with a touched page each (4 MiB and more, kept by malloc afterwards).
public final class ByteChunk {
    public static let size = 64 * 1024
    public static let smallSize = 1024
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = malloc(capacity)!
    }
    deinit { free(base) }

    var room: Int { capacity - count }
    var isSmall: Bool { capacity == ByteChunk.smallSize }
}

/// Free chunks of one loop, by size; only that loop's thread touches it.
public final class ChunkPool {
    private var free: [ByteChunk] = []
    private var freeSmall: [ByteChunk] = []
    private let keep = 256
    private let keepSmall = 1024

    public init() {}

    func take(small: Bool) -> ByteChunk {
        if small {
            if let chunk = freeSmall.popLast() { chunk.count = 0; return chunk }
            return ByteChunk(capacity: ByteChunk.smallSize)
        }
        if let chunk = free.popLast() { chunk.count = 0; return chunk }
        return ByteChunk(capacity: ByteChunk.size)
    }

    func give(_ chunk: ByteChunk) {
        if chunk.isSmall {
            if freeSmall.count < keepSmall { freeSmall.append(chunk) }
        } else if free.count < keep {
            free.append(chunk)
        }
    }
}

/// Outgoing bytes of one connection: appended frames are packed into pooled chunks and leave in one `writev`.
public final class WriteQueue {
    private var chunks: [ByteChunk] = []
    private var head = 0            // index of the first chunk with unwritten bytes
    private var headOffset = 0      // bytes of chunks[head] already written
    public private(set) var count = 0
    private let pool: ChunkPool

    /// The last chunk while it has unwritten bytes or room (it is in `chunks`, which keeps it alive): the
    /// common append is a copy into it, with no array access and no reference counting.
    private unowned(unsafe) var tail: ByteChunk?

    public init(pool: ChunkPool) { self.pool = pool }

    deinit { for i in head..<chunks.count { pool.give(chunks[i]) } }

    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress else { return }
        if let tail, bytes.count <= tail.room {
            (tail.base + tail.count).copyMemory(from: src, byteCount: bytes.count)
            tail.count += bytes.count
            count += bytes.count
            return
        }
        appendSlowly(src, bytes.count)
    }

    private func appendSlowly(_ source: UnsafeRawPointer, _ byteCount: Int) {
        var src = source
        var remaining = byteCount
        count += remaining
        while remaining > 0 {
            if head == chunks.count || chunks[chunks.count - 1].room == 0 {
                // An empty queue starts small; a queue with more to hold gets large chunks.
                chunks.append(pool.take(small: head == chunks.count))
                tail = chunks[chunks.count - 1]
            }
            let chunk = chunks[chunks.count - 1]
            let n = min(remaining, chunk.room)
            (chunk.base + chunk.count).copyMemory(from: src, byteCount: n)
            chunk.count += n
            src += n
            remaining -= n
        }
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Writes as much as the socket takes. Returns true when everything queued has left.
    public func flush(to fd: CInt) throws(IOError) -> Bool {
        var vectors = (iovec(), iovec(), iovec(), iovec(), iovec(), iovec(), iovec(), iovec(),
                       iovec(), iovec(), iovec(), iovec(), iovec(), iovec(), iovec(), iovec())
        while count > 0 {
            let result = try withUnsafeMutableBytes(of: &vectors) { raw throws(IOError) -> IOResult<Int> in
                let iov = raw.bindMemory(to: iovec.self)
                var n = 0
                var i = head
                while i < chunks.count, n < iov.count {
                    let start = i == head ? headOffset : 0
                    iov[n] = iovec(iov_base: chunks[i].base + start, iov_len: chunks[i].count - start)
                    n += 1
                    i += 1
                }
                return try Socket.writev(fd, UnsafeBufferPointer(rebasing: iov[0..<n]))
            }
            guard case .processed(let written) = result else { return false }
            consume(written)
        }
        return true
    }

    private func consume(_ written: Int) {
        count -= written
        var left = written
        while left > 0 {
            let available = chunks[head].count - headOffset
            if left >= available {
                left -= available
                pool.give(chunks[head])
                head += 1
                headOffset = 0
            } else {
                headOffset += left
                left = 0
            }
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            tail = nil
            head = 0
        } else if head > 64 {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
