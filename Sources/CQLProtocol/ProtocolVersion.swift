/// A native protocol version, without the direction bit.
public struct ProtocolVersion: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let v3 = ProtocolVersion(rawValue: 3)
    public static let v4 = ProtocolVersion(rawValue: 4)
    public static let v5 = ProtocolVersion(rawValue: 5)

    /// True for the versions whose whole connection is made of the 9-byte-header frames this module reads.
    /// v5 switches to checksummed segments right after STARTUP, which we do not implement: a proxy negotiates
    /// v5 clients down (the first v5 frame still parses, so it can be answered on its stream).
    public var isSupportedFraming: Bool { self == .v3 || self == .v4 }

    public static func < (a: ProtocolVersion, b: ProtocolVersion) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "v\(rawValue)" }
}

/// A frame's stream id: requests use 0...32767, server-initiated EVENTs use -1.
public struct StreamID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public init(_ rawValue: Int16) { self.rawValue = rawValue }

    public static let event = StreamID(-1)
    public var description: String { String(rawValue) }
}

/// The message kinds of spec §2.4 (v3–v5 share them; there is no 0x04).
public enum Opcode: UInt8, Hashable, Sendable, CaseIterable {
    case error = 0x00
    case startup = 0x01
    case ready = 0x02
    case authenticate = 0x03
    case options = 0x05
    case supported = 0x06
    case query = 0x07
    case result = 0x08
    case prepare = 0x09
    case execute = 0x0A
    case register = 0x0B
    case event = 0x0C
    case batch = 0x0D
    case authChallenge = 0x0E
    case authResponse = 0x0F
    case authSuccess = 0x10

    /// Whether a client may send this opcode (the others only come from servers).
    public var isRequest: Bool {
        switch self {
        case .startup, .options, .query, .prepare, .execute, .register, .batch, .authResponse: true
        default: false
        }
    }
}

/// Frame header flags (§2.2). Unknown bits are kept so a proxy can forward them untouched.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let compression = FrameFlags(rawValue: 0x01)
    public static let tracing = FrameFlags(rawValue: 0x02)
    public static let customPayload = FrameFlags(rawValue: 0x04)
    public static let warning = FrameFlags(rawValue: 0x08)
    public static let useBeta = FrameFlags(rawValue: 0x10)
}
