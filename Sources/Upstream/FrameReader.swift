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
    /// The body of a frame returned by `nextFrame`.
    public var frameBody: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[FrameHeader.size...])
    }
}
