/*
 * conn.c - one client connection: socket, line reader, output queue,
 * idle timer, and the order in which it is torn down.
 *
 * Ownership follows libuv's rules (docs/src/handle.rst): the session owns
 * its uv_tcp_t and two timers; its memory is freed only when every handle's
 * close callback has run, every uv_write has called back and no threadpool
 * work refers to it.  Output is coalesced into CONN_OUT_CHUNK buffers; each
 * stays alive until its write callback.
 *
 * TLS (conn_tls.c) sits between the socket and the line reader: with
 * s->tls set, the socket is read into the engine's buffer and decrypted
 * into the line reader, and each output chunk is encrypted on its way to
 * uv_write().  out_queued then counts plaintext not yet encrypted plus
 * ciphertext not yet sent, so back-pressure works on what really waits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn_tls.h"
#include "log.h"
#include "server.h"
#include "tls.h"

/* --- teardown ------------------------------------------------------- */

static void
conn_handle_closed(uv_handle_t *h)
{
	struct session *s = h->data;

	s->handles--;
	conn_maybe_free(s);
}

/*
 * Free the session once nothing refers to it.  The module's close() runs
 * first, but only when no threadpool work is in flight: a worker may be
 * reading from or committing the module's store.
 */
void
conn_maybe_free(struct session *s)
{
	struct server *srv = s->srv;

	/* Waiting for the handles too means close() never runs inside one of
	 * the module's own callbacks: close callbacks come on a later loop
	 * iteration. */
	if (!s->dead || s->work > 0 || s->handles > 0)
		return;
	if (!s->proto_closed) {
		s->proto_closed = 1;
		session_async_cleanup(s);
		if (s->started && s->proto->close != NULL)
			s->proto->close(s);
		trace_close(s);
	}
	if (s->writes > 0)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	srv->nsessions--;
	tls_conn_free(s->tls);
	free(s->cur);
	if (s->user != NULL)
		free(s->user);
	free(s->home);
	free(s);
	if (srv->stopping && srv->nsessions == 0)
		uv_stop(srv->loop);
}

/* Close now, whatever is queued: the peer went away or we give up. */
void
conn_destroy(struct session *s)
{
	if (s->dead)
		return;
	s->dead = 1;
	s->closing = 1;
	log_info("conn=%llu proto=%s%s%s event=close",
	    (unsigned long long)s->id, s->proto->name,
	    s->user ? " user=" : "", s->user ? s->user : "");
	uv_close((uv_handle_t *)&s->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&s->idle, conn_handle_closed);
	uv_close((uv_handle_t *)&s->delay, conn_handle_closed);
	conn_maybe_free(s);
}

/* --- output --------------------------------------------------------- */

static void
conn_write_done(uv_write_t *req, int status)
{
	struct out_chunk *c = req->data;
	struct session *s = c->s;

	s->writes--;
	s->out_queued -= c->len;
	free(c);
	if (s->dead) {
		conn_maybe_free(s);
		return;
	}
	if (status < 0) {
		log_info("conn=%llu event=write-error reason=%s",
		    (unsigned long long)s->id, uv_strerror(status));
		conn_destroy(s);
		return;
	}
	/* Progress on a long download counts as activity. */
	uv_timer_again(&s->idle);
	if (s->out_queued > CONN_OUT_LOW)
		return;
	if (s->closing) {
		if (s->out_queued == 0 && s->cur == NULL)
			conn_destroy(s);
		return;
	}
	if (s->stream != NULL) {
		msgstream_drain(s);
		return;
	}
	if (s->drain_cb != NULL) {
		void (*cb)(struct session *) = s->drain_cb;

		s->drain_cb = NULL;
		s->pending--;
		cb(s);
		conn_after_async(s);
		return;
	}
	conn_process(s);
}

/* Hand chunk C, already counted in out_queued, to libuv. */
void
conn_write_chunk(struct session *s, struct out_chunk *c)
{
	uv_buf_t b;
	int rc;

	b = uv_buf_init(c->data, c->len);
	c->req.data = c;
	rc = uv_write(&c->req, (uv_stream_t *)&s->tcp, &b, 1, conn_write_done);
	if (rc < 0) {
		s->out_queued -= c->len;
		free(c);
		conn_destroy(s);
		return;
	}
	s->writes++;
}

/* Hand the chunk being filled to libuv (through TLS when it is on). */
void
conn_flush(struct session *s)
{
	struct out_chunk *c = s->cur;

	if (c == NULL || s->dead)
		return;
	if (s->tls != NULL) {
		conn_tls_flush(s);
		return;
	}
	s->cur = NULL;
	if (c->len == 0) {
		free(c);
		return;
	}
	conn_write_chunk(s, c);
}

void
session_write(struct session *s, const void *buf, size_t len)
{
	const char *p = buf;

	if (s->dead)
		return;
	if (s->tls != NULL && tls_conn_state(s->tls) == TLS_HANDSHAKE) {
		/* No module runs during a handshake (session.h); output now
		 * would be a bug, and sending it in the clear a worse one. */
		log_warn("conn=%llu event=output-dropped octets=%zu "
		    "reason=\"during the TLS handshake\"",
		    (unsigned long long)s->id, len);
		return;
	}
	while (len > 0 && !s->dead) {
		size_t room, n;

		if (s->cur == NULL) {
			s->cur = malloc(sizeof(*s->cur));
			if (s->cur == NULL) {
				log_error("conn=%llu event=oom",
				    (unsigned long long)s->id);
				conn_destroy(s);
				return;
			}
			s->cur->len = 0;
			s->cur->s = s;
			s->cur->next = NULL;
		}
		room = CONN_OUT_CHUNK - s->cur->len;
		n = len < room ? len : room;
		memcpy(s->cur->data + s->cur->len, p, n);
		s->cur->len += n;
		s->out_queued += n;
		p += n;
		len -= n;
		if (s->cur->len == CONN_OUT_CHUNK)
			conn_flush(s);
	}
}

void
session_reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	trace_line(s, "S", line, n);
	line[n++] = '\r';
	line[n++] = '\n';
	session_write(s, line, n);
}

int
session_output_full(const struct session *s)
{
	return s->out_queued >= CONN_OUT_HIGH;
}

void
session_wait_drain(struct session *s, void (*cb)(struct session *s))
{
	s->drain_cb = cb;
	s->pending++;
	conn_flush(s);
}

void
session_close(struct session *s)
{
	if (s->closing)
		return;
	s->closing = 1;
	conn_read_update(s);
	conn_flush(s);
	/* RFC 8446 §6.1: end an encrypted session with close_notify, after
	 * the last reply, so the client can tell it from a truncation. */
	if (s->tls != NULL && !s->dead) {
		tls_conn_shutdown(s->tls);
		conn_tls_send(s);
	}
	if (s->out_queued == 0)
		conn_destroy(s);
}

_Static_assert(SESSION_LINE_MAX <= CONN_INBUF,
    "a line of SESSION_LINE_MAX must fit the input buffer");

void
session_set_line_max(struct session *s, size_t max)
{
	if (max == 0)
		max = s->proto->max_line;
	if (max > SESSION_LINE_MAX)
		max = SESSION_LINE_MAX;
	s->lr.max = max;
}

int
session_handoff(struct session *s, const struct proto_ops *to,
    const char *line, size_t len)
{
	if (to->takeover == NULL || to->max_line > s->lr.cap)
		return -1;
	log_info("conn=%llu event=handoff from=%s to=%s",
	    (unsigned long long)s->id, s->proto->name, to->name);
	trace_note(s, "handed over from %s to %s", s->proto->name, to->name);
	s->proto = to;
	s->proto_data = NULL;
	s->lr.max = to->max_line;
	if (to->takeover(s) < 0) {
		session_close(s);
		return 0;
	}
	to->line(s, line, len);
	return 0;
}

/* --- input ---------------------------------------------------------- */

static void
conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct session *s = h->data;
	size_t len;
	char *p;

	(void)hint;
	if (s->tls != NULL)
		p = tls_conn_rawbuf(s->tls, &len);
	else
		p = linereader_space(&s->lr, &len);
	*buf = uv_buf_init(p, len);
}

static void
conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct session *s = st->data;

	if (nread == UV_ENOBUFS) {
		/* Buffer full of complete lines we are not processing yet. */
		conn_read_update(s);
		return;
	}
	if (nread < 0) {
		if (nread != UV_EOF)
			log_info("conn=%llu event=read-error reason=%s",
			    (unsigned long long)s->id, uv_strerror(nread));
		/* A connection lost without QUIT commits nothing (RFC 1939
		 * §6): destroy, and the module releases its store. */
		conn_destroy(s);
		return;
	}
	if (nread == 0)
		return;
	if (s->tls != NULL) {
		conn_tls_input(s, buf->base, (size_t)nread);
		return;
	}
	linereader_commit(&s->lr, nread);
	conn_process(s);
}

static int
conn_may_read(const struct session *s)
{
	if (s->closing || s->dead || s->out_queued >= CONN_OUT_HIGH)
		return 0;
	/* With TLS the socket feeds the engine, which feeds the line reader
	 * only as it has room (conn_tls_decrypt). */
	if (s->tls != NULL)
		return tls_conn_in_pending(s->tls) < TLS_IN_HIGH;
	/* Room once compacted.  Not linereader_space() itself: it moves
	 * the buffer, and a module may still hold a line pointer here. */
	return s->lr.end < s->lr.cap || s->lr.start > 0;
}

void
conn_read_update(struct session *s)
{
	int want = conn_may_read(s);

	if (want && !s->reading) {
		if (uv_read_start((uv_stream_t *)&s->tcp, conn_alloc,
		    conn_read) == 0)
			s->reading = 1;
	} else if (!want && s->reading) {
		uv_read_stop((uv_stream_t *)&s->tcp);
		s->reading = 0;
	}
}

/* The server is stopping and this session is between commands. */
static void
conn_stop_now(struct session *s)
{
	if (s->proto->shutdown != NULL)
		s->proto->shutdown(s);
	session_close(s);
}

/*
 * Hand buffered lines to the module, one at a time, for as long as it is
 * not waiting for asynchronous work or for its output to drain.
 */
void
conn_process(struct session *s)
{
	const char *line;
	size_t len;
	int st;

	while (!s->closing && s->pending == 0 &&
	    s->out_queued < CONN_OUT_HIGH) {
		if (s->stop_after) {
			conn_stop_now(s);
			break;
		}
		st = linereader_next(&s->lr, &line, &len);
		if (st == LINEREADER_AGAIN) {
			/* Decrypt more only once the buffered lines are
			 * handled: plaintext waits inside the engine. */
			if (s->tls != NULL && conn_tls_decrypt(s) > 0)
				continue;
			break;
		}
		uv_timer_again(&s->idle);
		if (st == LINEREADER_TOOLONG) {
			trace_note(s, "client line too long, discarded");
			s->proto->overflow(s);
		} else {
			trace_line(s, "C", line, len);
			s->proto->line(s, line, len);
			/* The line may have been "PASS secret": do not leave
			 * it in the buffer.  The buffer is ours, and the
			 * module is done with the line. */
			explicit_bzero((char *)line, len);
		}
	}
	conn_flush(s);
	if (!s->dead)
		conn_read_update(s);
}

/* An asynchronous request finished and its callback returned. */
void
conn_after_async(struct session *s)
{
	if (s->dead)
		return;
	conn_process(s);
}

/* SIGTERM: end the session at its next pause, without committing. */
void
conn_stop(struct session *s)
{
	if (s->closing)
		return;
	/* Mid-handshake nothing has been said yet: nothing to finish. */
	if (s->tls != NULL && tls_conn_state(s->tls) == TLS_HANDSHAKE) {
		conn_destroy(s);
		return;
	}
	s->stop_after = 1;
	if (s->pending == 0 && s->stream == NULL) {
		conn_stop_now(s);
		conn_flush(s);
	}
}

/* --- idle timer ------------------------------------------------------ */

static void
conn_idle(uv_timer_t *t)
{
	struct session *s = t->data;

	if (s->closing)
		return;
	log_info("conn=%llu event=idle-timeout", (unsigned long long)s->id);
	/* RFC 1939 §3: close without entering UPDATE. */
	if (s->proto->timeout != NULL && s->pending == 0)
		s->proto->timeout(s);
	session_close(s);
}

/* --- accept ---------------------------------------------------------- */

/* Run the module's start(): at accept, or after the implicit-TLS
 * handshake. */
void
conn_start(struct session *s)
{
	s->started = 1;
	if (s->proto->start(s) < 0) {
		session_close(s);
		return;
	}
	conn_flush(s);
	conn_read_update(s);
}

static void
conn_peer(struct session *s)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			uv_ip4_name(sin, ip, sizeof(ip));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			uv_ip6_name(sin6, ip, sizeof(ip));
			port = ntohs(sin6->sin6_port);
		}
	}
	snprintf(s->peer_ip, sizeof(s->peer_ip), "%s", ip);
	snprintf(s->peer, sizeof(s->peer), "%s%s%s:%d",
	    strchr(ip, ':') ? "[" : "", ip, strchr(ip, ':') ? "]" : "", port);
}

/* Why a new connection must be refused, or NULL. */
static const char *
conn_over_limit(struct session *s)
{
	struct server *srv = s->srv;
	struct session *o;
	unsigned same = 0;

	if (srv->nsessions > srv->opt->max_connections)
		return "Too many connections, try again later.";
	for (o = srv->sessions; o != NULL; o = o->next)
		if (!o->dead && strcmp(o->peer_ip, s->peer_ip) == 0)
			same++;
	if (same > srv->opt->max_per_ip)
		return "Too many connections from your address, "
		    "try again later.";
	return NULL;
}

static void
conn_free_unaccepted(uv_handle_t *h)
{
	free(h->data);
}

void
conn_accept(struct listener *l)
{
	struct server *srv = l->srv;
	struct session *s;
	const char *why;
	uint64_t timeout_ms;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_error("event=oom where=accept");
		return;
	}
	s->srv = srv;
	s->lst = l;
	s->proto = l->proto;
	s->id = ++srv->next_id;
	s->tr_state = s->tr_before = "";
	uv_tcp_init(srv->loop, &s->tcp);
	s->tcp.data = s;
	s->handles = 1;
	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&s->tcp) != 0) {
		s->dead = s->closing = s->proto_closed = 1;
		uv_close((uv_handle_t *)&s->tcp, conn_free_unaccepted);
		return;
	}
	uv_timer_init(srv->loop, &s->idle);
	uv_timer_init(srv->loop, &s->delay);
	s->idle.data = s->delay.data = s;
	s->handles = 3;
	uv_tcp_nodelay(&s->tcp, 1);
	linereader_init(&s->lr, s->inbuf, sizeof(s->inbuf),
	    s->proto->max_line);
	conn_peer(s);
	snprintf(s->apop_ts, sizeof(s->apop_ts), "<%ld.%llu.%ld@%s>",
	    (long)getpid(), (unsigned long long)s->id, (long)time(NULL),
	    srv->hostname);

	s->next = srv->sessions;
	if (srv->sessions != NULL)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->nsessions++;

	timeout_ms = (uint64_t)srv->opt->idle_timeout * 1000;
	uv_timer_start(&s->idle, conn_idle, timeout_ms, timeout_ms);
	log_info("conn=%llu proto=%s event=connect peer=%s",
	    (unsigned long long)s->id, s->proto->name, s->peer);
	trace_open(s);

	why = conn_over_limit(s);
	if (why != NULL) {
		log_warn("conn=%llu event=refused reason=\"%s\"",
		    (unsigned long long)s->id, why);
		/* A plaintext refusal is noise to a TLS client, and a
		 * handshake is too dear to spend on a refused one. */
		if (l->spec.tls) {
			conn_destroy(s);
			return;
		}
		s->proto->refuse(s, why);
		session_close(s);
		return;
	}
	/* RFC 8314 §3.3: on an implicit-TLS port the handshake comes
	 * first, so even the greeting is encrypted. */
	if (l->spec.tls) {
		if (conn_tls_begin(s, NULL) == 0)
			conn_read_update(s);
		return;
	}
	conn_start(s);
}

/* --- accessors for modules ------------------------------------------- */

uint64_t
session_id(const struct session *s)
{
	return s->id;
}

const char *
session_profile(const struct session *s)
{
	return s->lst->spec.profile;
}

const char *
session_hostname(const struct session *s)
{
	return s->srv->hostname;
}

const char *
session_peer(const struct session *s)
{
	return s->peer;
}

const char *
session_apop_timestamp(const struct session *s)
{
	return s->apop_ts;
}

const char *
session_user(const struct session *s)
{
	return s->user;
}

void *
session_data(const struct session *s)
{
	return s->proto_data;
}

void
session_set_data(struct session *s, void *data)
{
	s->proto_data = data;
}

static void
session_vlog(struct session *s, enum log_level lvl, const char *fmt,
    va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	log_msg(lvl, "conn=%llu proto=%s%s%s %s", (unsigned long long)s->id,
	    s->proto->name, s->user ? " user=" : "", s->user ? s->user : "",
	    text);
}

void
session_log(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	session_vlog(s, LOG_INFO, fmt, ap);
	va_end(ap);
}

void
session_warn(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	session_vlog(s, LOG_WARN, fmt, ap);
	va_end(ap);
}

void
session_trace_state(struct session *s, const char *state)
{
	trace_state(s, state);
}
