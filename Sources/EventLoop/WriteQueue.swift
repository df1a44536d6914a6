import Glibc
import Posix

/// A fixed-size block of bytes for outgoing data, recycled through its loop's `ChunkPool`.
public final class ByteChunk {
    public static let size = 64 * 1024
    let base: UnsafeMutableRawPointer
    var count = 0

    init() { base = malloc(ByteChunk.size)! }
    deinit { free(base) }

    var room: Int { ByteChunk.size - count }
}

/// Free chunks of one loop; only that loop's thread touches it.
public final class ChunkPool {
    private var free: [ByteChunk] = []
    private let keep = 256

    public init() {}

    func take() -> ByteChunk {
        if let chunk = free.popLast() { chunk.count = 0; return chunk }
        return ByteChunk()
    }

    func give(_ chunk: ByteChunk) {
        if free.count < keep { free.append(chunk) }
    }
}

/// Outgoing bytes of one connection: appended frames are packed into pooled chunks and leave in one `writev`.
public final class WriteQueue {
    private var chunks: [ByteChunk] = []
    private var head = 0            // index of the first chunk with unwritten bytes
    private var headOffset = 0      // bytes of chunks[head] already written
    public private(set) var count = 0
    private let pool: ChunkPool

    public init(pool: ChunkPool) { self.pool = pool }

    deinit { for i in head..<chunks.count { pool.give(chunks[i]) } }

    public var isEmpty: Bool { count == 0 }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard var src = bytes.baseAddress else { return }
        var remaining = bytes.count
        count += remaining
        while remaining > 0 {
            if head == chunks.count || chunks[chunks.count - 1].room == 0 { chunks.append(pool.take()) }
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
            head = 0
        } else if head > 64 {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
