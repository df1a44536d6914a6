/// SASL PLAIN, as Cassandra's PasswordAuthenticator, DSE's authenticator and Astra's expect it.
/// DSE first wants the mechanism name ("PLAIN"), answers "PLAIN-START", and only then takes the credentials.
struct SASLAuthenticator {
    let className: String
    let credentials: Credentials

    private var isDSE: Bool { className.contains("DseAuthenticator") }

    func initialResponse() -> [UInt8] {
        isDSE ? Array("PLAIN".utf8) : plainToken()
    }

    func respond(to challenge: [UInt8]?) -> [UInt8]? {
        guard isDSE, let challenge, String(decoding: challenge, as: UTF8.self) == "PLAIN-START" else { return nil }
        return plainToken()
    }

    /// "\0user\0password"
    private func plainToken() -> [UInt8] {
        [0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)
    }
}
