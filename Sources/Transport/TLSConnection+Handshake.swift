import COpenSSL
import EventLoop
import Glibc
import Posix

extension TLSConnection {
    /// One step of the non-blocking handshake; called on every event until it completes or fails.
    func advanceHandshake() {
        guard state == .handshaking, let ssl else { return }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            finishHandshake(ssl)
            return
        }
        let code = SSL_get_error(ssl, rc)
        switch code {
        case SSL_ERROR_WANT_READ:
            handshakeWants = .readable
            updateInterest()
        case SSL_ERROR_WANT_WRITE:
            handshakeWants = .writable
            updateInterest()
        default:
            sslFailed = true
            failHandshake(.handshakeFailed(handshakeFailureReason(ssl, code: code)))
        }
    }

    func failHandshake(_ error: TLSError) {
        close(error: error)
    }

    private func finishHandshake(_ ssl: OpaquePointer) {
        state = .established
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil

        var alpn: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpn, &alpnLength)
        if let alpn, alpnLength > 0 {
            negotiatedALPN = String(decoding: UnsafeBufferPointer(start: alpn, count: Int(alpnLength)), as: UTF8.self)
        }
        if let peer = SSL_get1_peer_certificate(ssl) {
            hasPeerCertificate = true
            X509_free(peer)
        }
        requestedServerName = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }

        updateInterest()
        if let onHandshake {
            self.onHandshake = nil
            onHandshake(.success(()))
        }
        guard state == .established else { return }
        // Writes queued during the handshake, and application data that arrived with its last flight.
        if closeWhenFlushed && output.readableCount == 0 { close(error: nil); return }
        if output.readableCount > 0 {
            flushQueued = true
            loop.flushSoon(self)
        }
        enqueueIfPending()
    }

    /// The most specific reason available: the certificate check, OpenSSL's queue, then errno.
    private func handshakeFailureReason(_ ssl: OpaquePointer, code: Int32) -> String {
        let err = errno
        let queue = OpenSSLErrors.drain()
        var reason = queue
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            let text = String(cString: X509_verify_cert_error_string(verify))
            reason = "certificate verify failed: \(text)" + (queue.isEmpty ? "" : " (\(queue))")
        }
        if !reason.isEmpty { return reason }
        switch code {
        case SSL_ERROR_ZERO_RETURN:
            return "connection closed by peer during handshake"
        case SSL_ERROR_SYSCALL:
            return err == 0 ? "connection closed by peer during handshake"
                            : "socket error during handshake: \(String(cString: strerror(err)))"
        default:
            return "SSL error \(code)"
        }
    }
}
