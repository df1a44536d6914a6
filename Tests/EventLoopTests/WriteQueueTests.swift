import EventLoop
import Glibc
import Posix
import TestSupport
import Testing

@Suite struct WriteQueueTests {
    /// Appends of mixed sizes (a small first chunk, then large ones, runs crossing chunk edges) leave through
    /// `flush` byte for byte, in order, and the queue ends empty.
    @Test("bytes leave in order across small and large chunks", arguments: [1, 2, 3])
    func bytesLeaveInOrder(seed: UInt64) throws {
        var fds: [CInt] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var size = CInt(4 << 20)
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))

        var rng = SeededRNG(seed: seed)
        func next(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &rng) }
        let queue = WriteQueue(pool: ChunkPool())
        var expected: [UInt8] = []
        for round in 0..<20 {
            // Sizes around the small chunk (1 KiB), the large one (64 KiB), and tiny frames.
            let sizes = [next(200), next(2048), next(70_000), 1023, 1024, 1025, next(9)]
            for n in sizes {
                let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &+ round &* 7 &+ n) }
                queue.append(bytes)
                expected += bytes
            }
            #expect(queue.count == expected.count)
            #expect(try queue.flush(to: fds[0]))
            #expect(queue.isEmpty)
            var received = [UInt8](repeating: 0, count: expected.count)
            var got = 0
            while got < expected.count {
                let n = received.withUnsafeMutableBytes { read(fds[1], $0.baseAddress! + got, expected.count - got) }
                #expect(n > 0)
                if n <= 0 { break }
                got += n
            }
            #expect(received == expected)
            expected.removeAll()
        }
    }
}
