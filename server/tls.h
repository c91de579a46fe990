/*
 * tls.h - TLS for the core (RFC 2595 STLS, RFC 8314 implicit TLS).
 *
 * The engine never touches a socket.  Each connection's SSL object talks
 * to two memory BIOs: ciphertext read from the network is fed in with
 * tls_conn_feed(); ciphertext OpenSSL wants sent is taken out with
 * tls_conn_out_take() and queued by conn.c like any other output.  So the
 * libuv loop stays the only thing that reads and writes sockets, and the
 * engine is tested in-process against a client SSL (server/tests/
 * test_tls.c) with no network at all.
 */
#ifndef POLYPOP_TLS_H
#define POLYPOP_TLS_H

#include <stddef.h>

#include "session.h"

/* Ciphertext read from the socket per read callback.  One TLS record is
 * at most 16 KiB of payload plus a little framing. */
#define TLS_RAW_READ	(16 * 1024 + 512)
/* Stop reading the socket while this much ciphertext waits to be
 * decrypted: the plaintext has nowhere to go until the line reader has
 * room, and input must not grow memory without bound. */
#define TLS_IN_HIGH	(2 * TLS_RAW_READ)

/* The server's certificate and settings, built once at start-up. */
struct tls_ctx;

/* Load CERT (a PEM chain, leaf first) and KEY (PEM; NULL = CERT) and
 * check they belong together.  0, or -1 with ERR set. */
int tls_ctx_new(const char *cert, const char *key, struct tls_ctx **out,
    char *err, size_t errlen);
void tls_ctx_free(struct tls_ctx *ctx);

enum tls_state {
	TLS_HANDSHAKE,		/* waiting for the client's hello or more */
	TLS_OPEN,		/* application data flows */
	TLS_CLOSED,		/* close_notify sent or received */
	TLS_FAILED,		/* a fatal error; reason says which */
};

enum tls_status {
	TLS_ERROR = -1,		/* fatal: tls_conn_reason() says why */
	TLS_OK = 0,
	TLS_AGAIN = 1,		/* needs more ciphertext from the peer */
	TLS_EOF = 2,		/* the peer sent close_notify */
};

struct tls_conn;

/* A server-side engine for one connection, in TLS_HANDSHAKE.  NULL when
 * out of memory. */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx);
void tls_conn_free(struct tls_conn *t);

enum tls_state tls_conn_state(const struct tls_conn *t);

/* N octets of ciphertext from the peer.  TLS_OK or TLS_ERROR. */
int tls_conn_feed(struct tls_conn *t, const void *buf, size_t n);
/* Ciphertext fed in and not yet consumed. */
size_t tls_conn_in_pending(const struct tls_conn *t);

/* Advance the handshake with what was fed in: TLS_OK once it is
 * complete (state TLS_OPEN), TLS_AGAIN, or TLS_ERROR. */
int tls_conn_handshake(struct tls_conn *t);

/* Decrypt at most LEN octets into BUF.  TLS_OK with *GOT > 0, TLS_AGAIN
 * (nothing decryptable yet), TLS_EOF or TLS_ERROR. */
int tls_conn_read(struct tls_conn *t, void *buf, size_t len, size_t *got);
/* Encrypt all LEN octets (only in TLS_OPEN).  TLS_OK or TLS_ERROR. */
int tls_conn_write(struct tls_conn *t, const void *buf, size_t len);

/* Ciphertext waiting to be sent, and taking up to LEN octets of it. */
size_t tls_conn_out_pending(const struct tls_conn *t);
size_t tls_conn_out_take(struct tls_conn *t, void *buf, size_t len);

/* Queue our close_notify (RFC 8446 §6.1) if the connection is open. */
void tls_conn_shutdown(struct tls_conn *t);

/* "TLSv1.3", "TLS_AES_256_GCM_SHA384"; "" before the handshake. */
const char *tls_conn_version(const struct tls_conn *t);
const char *tls_conn_cipher(const struct tls_conn *t);
/* Why the last TLS_ERROR happened ("wrong version number"). */
const char *tls_conn_reason(const struct tls_conn *t);

/* The buffer conn.c reads the socket into while TLS is on. */
char *tls_conn_rawbuf(struct tls_conn *t, size_t *len);

/* conn.c's bookkeeping, kept with the engine: what to call once the
 * handshake is done (NULL for implicit TLS, which starts the module). */
void tls_conn_set_ready(struct tls_conn *t, session_tls_cb *cb);
session_tls_cb *tls_conn_ready(const struct tls_conn *t);

/*
 * Write a self-signed certificate for CN (with subjectAltName DNS:CN,
 * IP:127.0.0.1 and IP:::1), valid for DAYS days, and its new EC P-256
 * key: KEY is created with mode 0600 and must not exist yet; CERT is
 * replaced.  For --demo and tests.  0, or -1 with ERR set.
 */
int tls_make_selfsigned(const char *cert, const char *key, const char *cn,
    int days, char *err, size_t errlen);

#endif /* POLYPOP_TLS_H */
