/// An ERROR code (§9). A struct so codes from newer servers pass through.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let serverError = ErrorCode(rawValue: 0x0000)
    public static let protocolError = ErrorCode(rawValue: 0x000A)
    public static let badCredentials = ErrorCode(rawValue: 0x0100)
    public static let unavailable = ErrorCode(rawValue: 0x1000)
    public static let overloaded = ErrorCode(rawValue: 0x1001)
    public static let isBootstrapping = ErrorCode(rawValue: 0x1002)
    public static let truncateError = ErrorCode(rawValue: 0x1003)
    public static let writeTimeout = ErrorCode(rawValue: 0x1100)
    public static let readTimeout = ErrorCode(rawValue: 0x1200)
    public static let readFailure = ErrorCode(rawValue: 0x1300)
    public static let functionFailure = ErrorCode(rawValue: 0x1400)
    public static let writeFailure = ErrorCode(rawValue: 0x1500)
    /// v5.
    public static let cdcWriteFailure = ErrorCode(rawValue: 0x1600)
    /// v5.
    public static let casWriteUnknown = ErrorCode(rawValue: 0x1700)
    public static let syntaxError = ErrorCode(rawValue: 0x2000)
    public static let unauthorized = ErrorCode(rawValue: 0x2100)
    public static let invalid = ErrorCode(rawValue: 0x2200)
    public static let configError = ErrorCode(rawValue: 0x2300)
    public static let alreadyExists = ErrorCode(rawValue: 0x2400)
    public static let unprepared = ErrorCode(rawValue: 0x2500)

    public var description: String { "0x" + String(UInt32(bitPattern: rawValue), radix: 16) }
}
