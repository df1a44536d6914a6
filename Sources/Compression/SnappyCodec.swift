import CSnappy

/// CQL's snappy body: one raw snappy block (its own varint length header, no framing format).
enum SnappyCodec {
    static func compress(_ body: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        // Snappy's length header is a uint32; frames are capped far below it.
        precondition(body.count <= Int(UInt32.max), "snappy: body of \(body.count) bytes is too large")
        let bound = snappy_max_compressed_length(body.count)
        out.appendCompressed(capacity: bound) { dst in
            var written = bound
            let status = withCBytes(body) { src in snappy_compress(src, body.count, dst, &written) }
            precondition(status == SNAPPY_OK, "snappy_compress failed with a bound-sized buffer")
            return written
        }
    }

    static func decompress(_ body: UnsafeRawBufferPointer, maxLength: Int) throws(CompressionError) -> [UInt8] {
        // Even an empty input compresses to one byte (its zero length), as the driver's codec agrees.
        guard !body.isEmpty else { throw .truncated(.snappy) }
        var announced = 0
        let parsed = withCBytes(body) { src in snappy_uncompressed_length(src, body.count, &announced) }
        guard parsed == SNAPPY_OK else { throw .corrupt(.snappy) }
        guard announced <= maxLength else { throw .tooLarge(.snappy, announced: announced, limit: maxLength) }
        // Snappy's densest element is a 3-byte copy of 64 bytes, so output is under 22x the input: a
        // short body announcing more is corrupt. This bounds the allocation without the extra full pass of
        // snappy_validate_compressed_buffer; snappy_uncompress checks every element itself.
        guard announced <= body.count * 22 else { throw .corrupt(.snappy) }

        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: announced) { buffer, initialized in
            var length = announced
            let status = withCBytes(body) { src in
                withCMutableBytes(buffer) { dst in snappy_uncompress(src, body.count, dst, &length) }
            }
            ok = status == SNAPPY_OK && length == announced
            initialized = ok ? announced : 0
        }
        guard ok else { throw .corrupt(.snappy) }
        return out
    }
}
