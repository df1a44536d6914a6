import Dispatch
import EventLoop
import Posix
import Transport

/// A blocking HTTPS client for the few calls the proxy makes at startup (Astra's DevOps API, bundle
/// download, metadata service). Call it off the event loops, e.g. on Dispatch.
///
/// Why a private loop rather than a blocking socket: TLS (certificates, trust, SNI, host-name checks, ALPN,
/// OpenSSL's error texts) is exactly our `TLSConnector`/`TLSConnection`, the code the data path already
/// uses and tests, instead of a second OpenSSL setup. Each `send` starts one `EventLoop` thread, runs the
/// exchange there, and stops it: a thread per call is nothing for a handful of calls, and the loop's timers
/// give the deadline for free.
public enum HTTPSClient {
    public static let userAgent = "cql-proxy"
    public static let defaultMaxBodyBytes = 64 << 20

    /// Sends `request` and reads the whole response. SNI is the URL's host and the server certificate must
    /// name it, unless `tls` sets `serverName` / `expectedHostName`; a client certificate is sent when `tls`
    /// has one. ALPN offers h2 then http/1.1 (unless `tls` lists its own). `timeout` bounds everything from
    /// name resolution to the last byte (getaddrinfo itself cannot be interrupted, so a hung resolver can
    /// overrun it). Each call uses a new connection.
    public static func send(_ request: HTTPClientRequest, tls: TLSConfiguration, timeout: Duration,
                            maxBodyBytes: Int = defaultMaxBodyBytes) throws(HTTPClientError) -> HTTPClientResponse {
        let started = MonotonicClock.now()
        let url = try HTTPClientURL(parsing: request.url)
        let addresses: [SocketAddress]
        do {
            addresses = try HostPort(host: url.host, port: url.port).resolve()
        } catch {
            throw .resolveFailed(endpoint: url.endpoint, reason: "\(error)")
        }
        guard !addresses.isEmpty else { throw .resolveFailed(endpoint: url.endpoint, reason: "no address found") }

        var configuration = tls
        configuration.role = .client
        configuration.serverName = tls.serverName ?? url.host
        configuration.expectedHostName = tls.expectedHostName ?? url.host
        if configuration.alpnProtocols.isEmpty { configuration.alpnProtocols = ["h2", "http/1.1"] }
        let context: TLSContext
        do {
            context = try TLSContext(configuration: configuration)
        } catch {
            throw .tls(endpoint: url.endpoint, reason: error.description)
        }

        let remaining = timeout - .nanoseconds(MonotonicClock.now() - started)
        guard remaining > .zero else { throw .connectTimeout(endpoint: url.endpoint) }
        let loop: EventLoop
        do {
            loop = try EventLoop()
        } catch {
            throw .connectFailed(endpoint: url.endpoint, reason: "cannot start the client loop: \(error)")
        }
        loop.start(name: "https-client")
        let outcome = Outcome()
        let holder = ExchangeHolder()
        loop.execute {
            let exchange = HTTPSExchange(loop: loop, url: url, request: request, context: context, addresses: addresses,
                                         timeout: remaining, maxBodyBytes: maxBodyBytes) { outcome.fulfill($0) }
            holder.exchange = exchange
            exchange.start()
        }
        // The loop's own timer ends the exchange at the deadline; the margin only guards against a bug.
        let result = outcome.wait(timeout: remaining + .seconds(5))
        loop.execute {
            holder.exchange?.shutdown()
            holder.exchange = nil
        }
        loop.stop()
        loop.join()
        switch result {
        case .success(let response)?: return response
        case .failure(let error)?: throw error
        case nil: throw .timeout(endpoint: url.endpoint, phase: "waiting for the response")
        }
    }
}

/// The exchange's answer, handed from the loop to the waiting caller.
private final class Outcome: Sendable {
    private let value = Locked<Result<HTTPClientResponse, HTTPClientError>?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func fulfill(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        let first = value.withLock { slot in
            guard slot == nil else { return false }
            slot = result
            return true
        }
        if first { ready.signal() }
    }

    func wait(timeout: Duration) -> Result<HTTPClientResponse, HTTPClientError>? {
        let (seconds, attoseconds) = timeout.components
        let nanos = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        _ = ready.wait(timeout: .now() + .nanoseconds(Int(clamping: nanos)))
        return value.withLock { $0 }
    }
}

/// Keeps the exchange alive between loop tasks; touched only on the client's loop.
private final class ExchangeHolder: @unchecked Sendable {
    var exchange: HTTPSExchange?
}
