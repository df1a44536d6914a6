import CQLProtocol
import Upstream

/// Optional client authentication (`--client-username` / `--client-password`), which the Go proxy never had:
/// STARTUP is answered with AUTHENTICATE, and only the right SASL PLAIN credentials get AUTH_SUCCESS.
extension ClientSession {
    static let authenticatorClass = "org.apache.cassandra.auth.PasswordAuthenticator"

    func answerAuthResponse(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        guard let expected = context.config.clientCredentials, awaitingAuthentication else {
            reply(.error(.protocolError("Unexpected AUTH_RESPONSE: no authentication was asked for")), stream: header.stream)
            return
        }
        var reader = CQLReader(frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        let token = (try? reader.readBytes()) ?? nil
        let parts = (token ?? []).split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        // SASL PLAIN: [authzid] NUL authcid NUL password
        guard parts.count == 3 else {
            reply(.error(ErrorMessage(code: .badCredentials, message: "Malformed SASL PLAIN credentials")), stream: header.stream)
            return
        }
        let user = String(decoding: parts[1], as: UTF8.self)
        let password = Array(parts[2])
        if user == expected.username && Self.constantTimeEqual(password, Array(expected.password.utf8)) {
            awaitingAuthentication = false
            isStarted = true
            reply(.authSuccess(nil), stream: header.stream)
        } else {
            reply(.error(ErrorMessage(code: .badCredentials,
                                      message: "Provided username \(user) and/or password are incorrect")), stream: header.stream)
        }
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
