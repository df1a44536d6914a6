import CLZ4

/// CQL's lz4 body: the uncompressed length as a 4-byte big-endian int, then one raw LZ4 block.
/// (Big-endian, unlike python-lz4's own little-endian prefix; the Python driver flips it.)
enum LZ4Codec {
    static func compress(_ body: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        // Frames are capped far below this (the frame length field is an int32); past it is a caller bug.
        precondition(body.count <= Int(LZ4_MAX_INPUT_SIZE), "lz4: body of \(body.count) bytes is too large")
        let bound = Int(LZ4_compressBound(Int32(body.count)))
        out.appendCompressed(capacity: 4 + bound) { dst in
            let length = UInt32(body.count).bigEndian
            withUnsafeBytes(of: length) { UnsafeMutableRawPointer(dst).copyMemory(from: $0.baseAddress!, byteCount: 4) }
            let written = withCBytes(body) { src in
                LZ4_compress_default(src, dst + 4, Int32(body.count), Int32(bound))
            }
            // With a destination of LZ4_compressBound bytes compression cannot fail.
            precondition(written > 0, "LZ4_compress_default failed with a bound-sized buffer")
            return 4 + Int(written)
        }
    }

    static func decompress(_ body: UnsafeRawBufferPointer, maxLength: Int) throws(CompressionError) -> [UInt8] {
        guard body.count >= 4 else { throw .truncated(.lz4) }
        let announced = Int(body.loadUnaligned(as: UInt32.self).bigEndian)
        // Cassandra reads a signed int: a set top bit is a negative length.
        guard announced <= Int(Int32.max) else { throw .corrupt(.lz4) }
        guard announced <= maxLength else { throw .tooLarge(.lz4, announced: announced, limit: maxLength) }
        let block = UnsafeRawBufferPointer(rebasing: body[4...])
        guard block.count <= Int(Int32.max) else { throw .corrupt(.lz4) }
        // One LZ4 input byte yields at most 255 output bytes, so a short block announcing a large length
        // is corrupt: reject it before allocating what it claims.
        guard announced <= block.count * 255 else { throw .corrupt(.lz4) }

        var decoded: Int32 = -1
        let out = [UInt8](unsafeUninitializedCapacity: announced) { buffer, initialized in
            decoded = withCBytes(block) { src in
                withCMutableBytes(buffer) { dst in
                    LZ4_decompress_safe(src, dst, Int32(block.count), Int32(announced))
                }
            }
            initialized = decoded == Int32(announced) ? announced : 0
        }
        // A block decoding to fewer bytes than announced is as corrupt as one that fails outright.
        guard decoded == Int32(announced) else { throw .corrupt(.lz4) }
        return out
    }
}
