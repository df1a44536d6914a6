import CQLProtocol

/// One encoded QUERY or EXECUTE frame, re-sent with only its stream id and its bound key patched in place:
/// no encoding on the hot path.
struct RequestTemplate: Sendable {
    /// Whole frame; the stream id is at bytes 2-3.
    private(set) var frame: [UInt8]
    /// Offset of the 4-byte big-endian bound key, or nil when the statement binds nothing.
    let keyOffset: Int?

    static func query(_ text: String, bindsKey: Bool) -> RequestTemplate {
        build(bindsKey: bindsKey) { values in
            .query(QueryRequest(query: text, parameters: QueryParameters(consistency: .one, values: values)))
        }
    }

    static func execute(id: [UInt8], bindsKey: Bool) -> RequestTemplate {
        build(bindsKey: bindsKey) { values in
            .execute(ExecuteRequest(id: id, parameters: QueryParameters(consistency: .one, values: values)))
        }
    }

    /// The key is the last [value] and nothing follows it (no page size, no paging state), so it sits in the
    /// frame's last 4 bytes; checked here by encoding a marker rather than assumed.
    private static func build(bindsKey: Bool, _ make: ([BoundValue]) -> RequestMessage) -> RequestTemplate {
        let marker: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
        let message = make(bindsKey ? [.bytes(marker)] : [])
        let frame = Frame(request: message, version: .v4, stream: StreamID(0)).encode()
        guard bindsKey else { return RequestTemplate(frame: frame, keyOffset: nil) }
        let offset = frame.count - 4
        precondition(Array(frame[offset...]) == marker, "the bound key is expected at the end of the frame")
        return RequestTemplate(frame: frame, keyOffset: offset)
    }

    /// Sets the stream id and key, then hands the frame bytes to `body`.
    @inline(__always)
    mutating func withFrame<R>(stream: Int16, key: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let s = UInt16(bitPattern: stream)
        let k = UInt32(bitPattern: key)
        let keyOffset = self.keyOffset
        return frame.withUnsafeMutableBytes { raw in
            raw[2] = UInt8(s >> 8)
            raw[3] = UInt8(s & 0xFF)
            if let o = keyOffset {
                raw[o] = UInt8(k >> 24)
                raw[o + 1] = UInt8(k >> 16 & 0xFF)
                raw[o + 2] = UInt8(k >> 8 & 0xFF)
                raw[o + 3] = UInt8(k & 0xFF)
            }
            return body(UnsafeRawBufferPointer(raw))
        }
    }
}

extension String {
    /// Bind markers outside string literals (enough for the benchmark's statements).
    var bindMarkerCount: Int {
        var count = 0
        var inLiteral = false
        for c in self {
            if c == "'" { inLiteral.toggle() } else if c == "?" && !inLiteral { count += 1 }
        }
        return count
    }
}
