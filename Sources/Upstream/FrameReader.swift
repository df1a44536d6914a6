import CQLProtocol
import EventLoop

/// The next whole frame in a connection's input, read from the header alone: bodies are not decoded here.
public enum FrameRead {
    /// The frame's bytes (header included), valid until the buffer is consumed or refilled.
    case frame(FrameHeader, UnsafeMutableRawBufferPointer)
    case incomplete
    case invalid(CQLProtocolError)
}

extension ReadBuffer {
    /// The next frame when it is whole and its header valid, else nil (then `nextFrame` says why): the read
    /// loops' fast path, with no enum to wrap or unwrap.
    @inline(__always)
    public func wholeFrame(maxBodyLength: Int) -> (FrameHeader, UnsafeMutableRawBufferPointer)? {
        let bytes = readable
        guard let header = FrameHeader.valid(UnsafeRawBufferPointer(bytes), maxBodyLength: maxBodyLength) else { return nil }
        let total = FrameHeader.size + Int(header.length)
        guard bytes.count >= total else { return nil }
        return (header, UnsafeMutableRawBufferPointer(rebasing: bytes[0..<total]))
    }

    public func nextFrame(maxBodyLength: Int) -> FrameRead {
        let bytes = readable
        switch FrameHeader.parse(UnsafeRawBufferPointer(bytes), maxBodyLength: maxBodyLength) {
        case .incomplete:
            return .incomplete
        case .invalid(let error):
            return .invalid(error)
        case .header(let header):
            let total = FrameHeader.size + Int(header.length)
            guard bytes.count >= total else {
                _ = writableSpace(minimum: total - bytes.count)   // one read can then complete a large frame
                return .incomplete
            }
            return .frame(header, UnsafeMutableRawBufferPointer(rebasing: bytes[0..<total]))
        }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The body of a frame returned by `nextFrame`, envelope included.
    public var frameBody: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[FrameHeader.size...])
    }

    /// The message itself: the body after any tracing id, warnings or custom payload its flags announce.
    /// nil when that envelope is malformed.
    public func messageBody(_ header: FrameHeader) -> UnsafeRawBufferPointer? {
        let body = frameBody
        guard !header.flags.isDisjoint(with: [.tracing, .warning, .customPayload]) else { return body }
        var reader = CQLReader(body)
        guard let envelope = try? FrameEnvelope.read(&reader, header: header) else { return nil }
        return UnsafeRawBufferPointer(rebasing: body[envelope.messageOffset...])
    }
}
