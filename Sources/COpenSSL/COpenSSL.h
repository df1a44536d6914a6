#ifndef COPENSSL_H
#define COPENSSL_H
// OpenSSL 3 for Swift. Swift does not import function-like macros or variadic functions, so the few we
// need are wrapped here as static inline functions with no logic of their own.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/rand.h>

static inline long copenssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// Read ahead: one read(2) may pull in many small records, which then sit inside OpenSSL (SSL_has_pending).
static inline void copenssl_ctx_set_read_ahead(SSL_CTX *ctx) { SSL_CTX_set_read_ahead(ctx, 1); }

static inline long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }

/// Partial writes, a write buffer that may move between retries, and buffers released when idle.
static inline long copenssl_default_modes(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;
}

/// A peer that closes TCP without close_notify reads as end of stream (CQL frames carry their lengths).
static inline uint64_t copenssl_op_ignore_unexpected_eof(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t copenssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }

/// Takes ownership of `cert` (add0) on success.
static inline long copenssl_ctx_add0_chain_cert(SSL_CTX *ctx, X509 *cert) { return SSL_CTX_add0_chain_cert(ctx, cert); }

typedef int (*copenssl_servername_cb)(SSL *ssl, int *alert, void *arg);
static inline void copenssl_ctx_set_servername_callback(SSL_CTX *ctx, copenssl_servername_cb cb, void *arg) {
    SSL_CTX_set_tlsext_servername_callback(ctx, cb);
    SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}

static inline long copenssl_set_sni(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }

static inline int copenssl_alert_unrecognized_name(void) { return SSL_AD_UNRECOGNIZED_NAME; }

static inline long copenssl_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline EVP_PKEY *copenssl_ec_p256_keygen(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }

/// Adds one X509v3 extension written in `openssl.cnf` syntax ("critical,CA:TRUE", "DNS:a,IP:1.2.3.4").
static inline int copenssl_add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

#endif
