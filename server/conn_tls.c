/*
 * conn_tls.c - TLS on a connection: the glue between conn.c's socket and
 * output queue and tls.c's engine, and the TLS part of session.h
 * (session_starttls() with the RFC 2595 §4 injection rule, and the
 * session_tls_*() and session_plaintext_refused() questions).
 *
 * Input: conn.c reads the socket into the engine (conn_tls_input), and
 * plaintext moves into the line reader only as it has room
 * (conn_tls_decrypt, from conn_process).  Output: conn_flush hands the
 * chunk being filled to conn_tls_flush, which encrypts it a record at a
 * time and queues the ciphertext as ordinary chunks (conn_tls_send).
 */
#include <stdlib.h>
#include <string.h>

#include "conn_tls.h"
#include "log.h"
#include "server.h"
#include "tls.h"

/* Plaintext per TLS record: a record's ciphertext (at most 29 octets of
 * framing with TLS 1.2 AES-GCM, 22 with TLS 1.3) then fits one chunk. */
#define CONN_TLS_PIECE	(CONN_OUT_CHUNK - 256)

/* Queue the ciphertext the engine produced (handshake messages, records,
 * alerts) as output chunks. */
void
conn_tls_send(struct session *s)
{
	struct out_chunk *c;

	while (!s->dead && tls_conn_out_pending(s->tls) > 0) {
		if ((c = malloc(sizeof(*c))) == NULL) {
			log_error("conn=%llu event=oom",
			    (unsigned long long)s->id);
			conn_destroy(s);
			return;
		}
		c->s = s;
		c->next = NULL;
		c->len = tls_conn_out_take(s->tls, c->data, sizeof(c->data));
		if (c->len == 0) {
			free(c);
			return;
		}
		s->out_queued += c->len;
		conn_write_chunk(s, c);
	}
}

/* The handshake or the record layer failed: say why, send the alert
 * OpenSSL may have queued, and close. */
static void
conn_tls_failed(struct session *s)
{
	log_info("conn=%llu proto=%s event=tls-failed reason=\"%s\"",
	    (unsigned long long)s->id, s->proto->name,
	    tls_conn_reason(s->tls));
	trace_note(s, "TLS failed: %s", tls_conn_reason(s->tls));
	conn_tls_send(s);
	session_close(s);
}

/* Encrypt the chunk being filled, one record's worth at a time. */
void
conn_tls_flush(struct session *s)
{
	struct out_chunk *c = s->cur;
	size_t off, n;

	s->cur = NULL;
	s->out_queued -= c->len;
	if (tls_conn_state(s->tls) != TLS_OPEN) {
		/* After our close_notify nothing may follow it. */
		free(c);
		return;
	}
	for (off = 0; off < c->len && !s->dead; off += n) {
		n = c->len - off < CONN_TLS_PIECE ? c->len - off :
		    CONN_TLS_PIECE;
		if (tls_conn_write(s->tls, c->data + off, n) != TLS_OK) {
			free(c);
			conn_tls_failed(s);
			return;
		}
		conn_tls_send(s);
	}
	free(c);
}

/*
 * Move plaintext from the engine into the line reader while it has room.
 * Returns the octets added.  On a fatal error the session closes; on the
 * client's close_notify it is destroyed like on a lost connection, but
 * only once the lines before it have been handled.
 */
size_t
conn_tls_decrypt(struct session *s)
{
	size_t total = 0, len, got;
	char *p;
	int rc;

	if (s->closing || tls_conn_state(s->tls) == TLS_HANDSHAKE)
		return 0;
	for (;;) {
		p = linereader_space(&s->lr, &len);
		if (len == 0)
			break;
		rc = tls_conn_read(s->tls, p, len, &got);
		if (rc == TLS_OK) {
			linereader_commit(&s->lr, got);
			total += got;
			continue;
		}
		conn_tls_send(s);
		if (rc == TLS_AGAIN || (rc == TLS_EOF && total > 0))
			break;
		if (rc == TLS_EOF) {
			trace_note(s, "TLS close_notify from the client");
			conn_destroy(s);
		} else
			conn_tls_failed(s);
		return 0;
	}
	conn_tls_send(s);
	return total;
}

static void
conn_tls_established(struct session *s)
{
	session_tls_cb *cb = tls_conn_ready(s->tls);

	log_info("conn=%llu proto=%s event=tls version=%s cipher=%s",
	    (unsigned long long)s->id, s->proto->name,
	    tls_conn_version(s->tls), tls_conn_cipher(s->tls));
	trace_note(s, "TLS established: %s, %s", tls_conn_version(s->tls),
	    tls_conn_cipher(s->tls));
	s->pending--;
	if (!s->started)
		conn_start(s);
	else if (cb != NULL)
		cb(s);
	conn_after_async(s);
}

/* Ciphertext arrived from the socket. */
void
conn_tls_input(struct session *s, const char *buf, size_t n)
{
	int rc;

	if (tls_conn_feed(s->tls, buf, n) != TLS_OK) {
		conn_tls_failed(s);
		return;
	}
	if (tls_conn_state(s->tls) != TLS_HANDSHAKE) {
		conn_process(s);
		return;
	}
	rc = tls_conn_handshake(s->tls);
	conn_tls_send(s);
	if (rc == TLS_ERROR)
		conn_tls_failed(s);
	else if (rc == TLS_OK)
		conn_tls_established(s);
	else
		conn_read_update(s);
}

/*
 * Switch the connection to TLS: from now on every octet read from the
 * socket goes to the engine.  No lines are delivered (pending) until the
 * handshake is done; then CB runs, or for implicit TLS the module starts.
 */
int
conn_tls_begin(struct session *s, session_tls_cb *cb)
{
	if (s->srv->tls == NULL ||
	    (s->tls = tls_conn_new(s->srv->tls)) == NULL) {
		log_error("conn=%llu event=tls-failed reason=\"%s\"",
		    (unsigned long long)s->id, s->srv->tls == NULL ?
		    "no certificate configured" : "out of memory");
		conn_destroy(s);
		return -1;
	}
	tls_conn_set_ready(s->tls, cb);
	s->pending++;
	trace_note(s, "TLS handshake begins (%s)", cb == NULL ?
	    "implicit TLS, RFC 8314" : "STLS, RFC 2595");
	return 0;
}

int
session_tls_active(const struct session *s)
{
	return s->tls != NULL && (tls_conn_state(s->tls) == TLS_OPEN ||
	    tls_conn_state(s->tls) == TLS_CLOSED);
}

int
session_tls_available(const struct session *s)
{
	return s->srv->tls != NULL && s->tls == NULL && !s->lst->spec.tls;
}

int
session_plaintext_refused(const struct session *s)
{
	return s->lst->spec.plaintext_tls_only && !session_tls_active(s);
}

void
session_starttls(struct session *s, session_tls_cb *cb)
{
	size_t stale;

	if (s->closing)
		return;
	if (!session_tls_available(s)) {
		log_warn("conn=%llu proto=%s event=tls-failed reason=\"%s\"",
		    (unsigned long long)s->id, s->proto->name,
		    s->tls != NULL || s->lst->spec.tls ? "TLS is already on" :
		    "no certificate configured");
		session_close(s);
		return;
	}
	/* Our "+OK" goes out in the clear, before any TLS octet. */
	conn_flush(s);
	if (s->dead)
		return;
	/*
	 * RFC 2595 §4: whatever the client sent after the STLS line was
	 * sent before TLS protected it, so it may have been injected by a
	 * man in the middle (CVE-2011-0411).  Forget it unread.  Octets
	 * still in the kernel are read from now on into the engine, as
	 * TLS records, never as commands.
	 */
	stale = linereader_pending(&s->lr);
	if (stale > 0) {
		log_warn("conn=%llu proto=%s event=tls-discarded octets=%zu "
		    "reason=\"sent after STLS, before the handshake\"",
		    (unsigned long long)s->id, s->proto->name, stale);
		trace_note(s, "%zu octets after the STLS line discarded "
		    "unread (RFC 2595 §4)", stale);
	}
	explicit_bzero(s->inbuf, sizeof(s->inbuf));
	linereader_init(&s->lr, s->inbuf, sizeof(s->inbuf), s->lr.max);
	(void)conn_tls_begin(s, cb);
}
