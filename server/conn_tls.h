/*
 * conn_tls.h - between conn.c and conn_tls.c only: the connection's TLS
 * layer and the parts of conn.c it uses.  Nothing else includes it.
 */
#ifndef POLYPOP_CONN_TLS_H
#define POLYPOP_CONN_TLS_H

#include <stddef.h>

#include "session.h"

struct out_chunk;

/* conn.c */
/* Queue chunk C, already counted in out_queued, with uv_write(). */
void conn_write_chunk(struct session *s, struct out_chunk *c);
/* Start or stop reading the socket as the session's state allows. */
void conn_read_update(struct session *s);
/* Call the module's start() and send what it queued. */
void conn_start(struct session *s);

/* conn_tls.c */
/* Switch to TLS: from now on the socket feeds the engine, and no lines
 * are delivered until the handshake is done; then CB runs (STLS), or
 * with CB NULL the module starts (implicit TLS).  -1: the session was
 * destroyed. */
int conn_tls_begin(struct session *s, session_tls_cb *cb);
/* N octets of ciphertext read from the socket. */
void conn_tls_input(struct session *s, const char *buf, size_t n);
/* Plaintext from the engine into the line reader; returns the octets
 * added (0: none yet, or the session is closing). */
size_t conn_tls_decrypt(struct session *s);
/* Encrypt the chunk being filled and queue the ciphertext. */
void conn_tls_flush(struct session *s);
/* Queue whatever ciphertext the engine has produced. */
void conn_tls_send(struct session *s);

#endif /* POLYPOP_CONN_TLS_H */
