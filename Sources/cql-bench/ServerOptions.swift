import ArgumentParser
import Posix

/// Where `cql-bench load` connects and how it logs in: a plain CQL server (optionally with a
/// PasswordAuthenticator login), or an Astra SNI front through a secure-connect bundle.
struct ServerOptions: ParsableArguments {
    @Option(help: "Secure-connect bundle: TLS to the SNI front with its client certificate (needs --token).")
    var bundle: String?
    @Option(help: "Astra token: the login is user \"token\" with the token as password.") var token: String?
    @Option(help: "With --bundle: the node's host id sent as SNI (default: the metadata's first contact point).")
    var hostID: String?
    @Option(help: "PasswordAuthenticator user (plain servers, e.g. through a relay to Astra: \"token\").")
    var username: String?
    @Option(help: "Password for --username.") var password: String?

    func validate() throws {
        guard (username == nil) == (password == nil) else {
            throw ValidationError("--username and --password go together")
        }
        guard bundle == nil || token != nil || username != nil else {
            throw ValidationError("--bundle needs --token (Astra nodes require a login)")
        }
        guard bundle != nil || hostID == nil else { throw ValidationError("--host-id goes with --bundle") }
    }

    var credentials: Credentials? {
        if let username, let password { return Credentials(username: username, password: password) }
        if let token { return Credentials(username: "token", password: token) }
        return nil
    }

    /// Plain: `host` (default 127.0.0.1) and `port` (default 9042). Bundle: the SNI front given by `host`/`port`
    /// or, for what is missing, by the metadata service (a blocking HTTPS call).
    func dialer(host: String?, port: Int?) throws(DialError) -> Dialer {
        guard let bundle else {
            let endpoint = HostPort(host: host ?? "127.0.0.1", port: port ?? 9042)
            guard let address = try? endpoint.resolve().first else {
                throw DialError(description: "cannot resolve \(endpoint)")
            }
            return .plain(address)
        }
        if host != nil && port == nil { throw DialError(description: "--host with --bundle needs --port too") }
        return try AstraTarget(bundlePath: bundle, sniHost: host, sniPort: port, hostID: hostID).dialer()
    }
}
