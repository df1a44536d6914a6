/// Everything that can go wrong reading or writing CQL bytes. Decoders report these as values and never trap,
/// so a hostile peer can at worst get an ERROR answer or a closed connection.
public enum CQLProtocolError: Error, Hashable, Sendable {
    /// The input ended inside the named element.
    case truncated(String)
    /// The bytes are complete but do not form a valid element (bad length, bad UTF-8, unknown kind...).
    case malformed(String)
    /// A frame announced a body longer than the limit (or a negative length).
    case frameTooLarge(length: Int, limit: Int)
    /// The frame's protocol version (direction bit removed) is not one this module speaks.
    case unsupportedVersion(UInt8)
    /// The frame's opcode is not defined by the protocol, or not valid in this direction.
    case unknownOpcode(UInt8)
    /// A value cannot be encoded as the requested type (wrong case, out of range).
    case typeMismatch(String)
}
