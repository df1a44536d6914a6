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

    /// The last chunk's next free byte and end, while it is in `chunks` (which keeps it alive): the common
    /// append is a copy and a pointer bump, with no array access and no reference counting. The chunk's own
    /// `count` catches up in `syncTail` before anything else reads it.
    private var tailCursor: UnsafeMutableRawPointer?
    private var tailEnd: UnsafeMutableRawPointer?
    private var tailChunk: Unmanaged<ByteChunk>?

    public init(pool: ChunkPool) { self.pool = pool }

    deinit { for i in head..<chunks.count { pool.give(chunks[i]) } }

    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress else { return }
        if let cursor = tailCursor, bytes.count <= tailEnd! - cursor {
            cursor.copyMemory(from: src, byteCount: bytes.count)
            tailCursor = cursor + bytes.count
            count += bytes.count
            return
        }
        appendSlowly(src, bytes.count)
    }

    /// Writes the fast path's progress back into the last chunk.
    private func syncTail() {
        guard let tailChunk, let tailCursor else { return }
        tailChunk._withUnsafeGuaranteedRef { $0.count = tailCursor - $0.base }
    }

    private func appendSlowly(_ source: UnsafeRawPointer, _ byteCount: Int) {
        syncTail()
        var src = source
        var remaining = byteCount
        count += remaining
        while remaining > 0 {
            if head == chunks.count || chunks[chunks.count - 1].room == 0 {
                // An empty queue starts small; a queue with more to hold gets large chunks.
                chunks.append(pool.take(small: head == chunks.count))
            }
            let chunk = chunks[chunks.count - 1]
            let n = min(remaining, chunk.room)
            (chunk.base + chunk.count).copyMemory(from: src, byteCount: n)
            chunk.count += n
            src += n
            remaining -= n
            tailChunk = Unmanaged.passUnretained(chunk)
            tailCursor = chunk.base + chunk.count
            tailEnd = chunk.base + chunk.capacity
        }
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Writes as much as the socket takes. Returns true when everything queued has left.
    public func flush(to fd: CInt) throws(IOError) -> Bool {
        syncTail()
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
            tailChunk = nil
            tailCursor = nil
            tailEnd = nil
            head = 0
        } else if head > 64 {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
